from descend._cli import main

main()
