from pressbox import main

main()
