from descend.cli.app import main

main()
