print("minimax")
