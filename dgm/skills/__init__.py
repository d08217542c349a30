"""Skill libraries and the GRASP regression-budget admission gate."""
