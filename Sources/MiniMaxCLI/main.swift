import MiniMaxCommands

MiniMaxCommand.main()
