"""Language models: the litellm client, the host-side proxy, local servers, test models."""
