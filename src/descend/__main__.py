from descend.main import main

main()
