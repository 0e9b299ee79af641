package main

// storeCommands returns the database subcommands (backup, restore, export,
// rotate-key).
func storeCommands() []command {
	return nil
}
