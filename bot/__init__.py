"""yibao-bot: answers residents' medical-insurance questions from a curated FAQ."""
