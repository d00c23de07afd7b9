from viduemu.cli import main

main()
