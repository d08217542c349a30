from seed_agent.main import main

main()
