package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moimbot/moimbot/store"
)

// Environment variables of the database commands.
const (
	envDB           = "MOIMBOT_DB"
	envNewSecretKey = "MOIMBOT_NEW_SECRET_KEY"
)

// storeCommands returns the database subcommands.
func storeCommands() []command {
	return []command{
		{"backup", "copy the database to a file, consistently", runBackup},
		{"restore", "replace the database with a backup (bot stopped)", runRestore},
		{"export", "write a group's dues status and deposits as CSV or JSON", runExport},
		{"compact", "rewrite the database without its free space (bot stopped)", runCompact},
		{"rotate-key", "re-encrypt the stored bank tokens under a new secret key", runRotateKey},
		{"check", "check the database's consistency", runCheck},
		{"migrate", "bring the database to this moimbot's schema (back it up first)", runMigrate},
		{"calls", "show the transaction-list calls (KFTC charges each) per account and month", runCalls},
	}
}

// sameFile reports whether two paths name the same existing file, however
// they are spelled (./moimbot.db, a symlink, an absolute path).
func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// isDir reports whether path names an existing directory: an output file's
// directory that does not exist is a mistyped path, a usage error.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// runMigrate opens the database read-write, which runs its migrations.
func runMigrate(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("migrate")
	dbPath := dbFlag(e, fs)
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if _, err := os.Stat(*dbPath); err != nil {
		return usagef("--db %s: no such file", *dbPath)
	}
	before, err := store.Verify(ctx, *dbPath)
	if err != nil {
		return dbError(*dbPath, err)
	}
	db, err := openDB(ctx, *dbPath, store.Options{Timeout: 500 * time.Millisecond})
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	if before.Schema == store.SchemaVersion {
		fmt.Fprintf(e.stdout, "%s: already at schema %d\n", *dbPath, store.SchemaVersion)
		return nil
	}
	fmt.Fprintf(e.stdout, "%s: migrated from schema %d to %d\n", *dbPath, before.Schema, store.SchemaVersion)
	return nil
}

// dbFlag adds --db, defaulting to $MOIMBOT_DB or ./moimbot.db.
func dbFlag(e env, fs *flag.FlagSet) *string {
	def := e.getenv(envDB)
	if def == "" {
		def = "moimbot.db"
	}
	return fs.String("db", def, "database `file` ($"+envDB+", else ./moimbot.db)")
}

// openDB opens the database and turns the errors a person can fix into
// one-line messages.
func openDB(ctx context.Context, path string, opts store.Options) (*store.DB, error) {
	db, err := store.Open(ctx, path, opts)
	if err == nil {
		return db, nil
	}
	return nil, dbError(path, err)
}

func dbError(path string, err error) error {
	cause := strings.TrimPrefix(err.Error(), "store: open "+path+": ")
	switch {
	case errors.Is(err, store.ErrDamaged):
		// What is damaged, without the store's prefixes (open, verify,
		// compact, check), and the way back.
		if i := strings.Index(cause, store.ErrDamaged.Error()); i >= 0 {
			cause = cause[i:]
		}
		return usagef("--db %s: %s; restore a backup with moimbot restore --db %s --from BACKUP", path, cause, path)
	case errors.Is(err, os.ErrNotExist):
		return usagef("--db %s: no such file", path)
	case errors.Is(err, store.ErrSchema):
		return usagef("--db %s: %s", path, cause)
	case errors.Is(err, store.ErrWrongKey):
		return usagef("%s: not the key of %s", store.EnvSecretKey, path)
	case errors.Is(err, store.ErrLocked):
		return fmt.Errorf("%s: %w: stop the bot first", path, store.ErrLocked)
	}
	return err
}

func runBackup(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("backup")
	dbPath := dbFlag(e, fs)
	out := fs.String("out", "", "write the copy to `FILE` (required)")
	force := fs.Bool("force", false, "replace FILE if it exists")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	if dir := filepath.Dir(*out); !isDir(dir) {
		return usagef("--out %s: directory %s does not exist", *out, dir)
	}
	if isDir(*out) {
		return usagef("--out %s is a directory", *out)
	}
	if sameFile(*out, *dbPath) {
		return usagef("--out %s is the database itself", *out)
	}
	if _, err := os.Stat(*out); err == nil && !*force {
		return usagef("--out %s: file exists (add --force to replace it)", *out)
	}
	// AnySchema: the copy to take before a migration is the one that
	// matters most.
	db, err := store.Open(ctx, *dbPath, store.Options{ReadOnly: true, AnySchema: true, Timeout: 500 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		// The bot holds the file: it serves a hot copy on its control
		// socket.
		n, err := backupFromAdmin(ctx, adminSocket(*dbPath), *out)
		if errors.Is(err, errNoAdmin) {
			return fmt.Errorf("%s: %w, and %v at %s", *dbPath, store.ErrLocked, errNoAdmin, adminSocket(*dbPath))
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "backed up %s from the running bot to %s (%d bytes)\n", *dbPath, *out, n)
		return nil
	}
	if err != nil {
		return dbError(*dbPath, err)
	}
	defer db.Close()
	n, err := db.BackupFile(ctx, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s (%d bytes)\n", *dbPath, *out, n)
	return nil
}

func runRestore(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("restore")
	dbPath := dbFlag(e, fs)
	from := fs.String("from", "", "the backup `FILE` to restore (required)")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *from == "" {
		return usagef("--from is required")
	}
	if dir := filepath.Dir(*dbPath); !isDir(dir) {
		return usagef("--db %s: directory %s does not exist", *dbPath, dir)
	}
	if _, err := store.Verify(ctx, *from); err != nil {
		cause := strings.TrimPrefix(err.Error(), "store: verify "+*from+": ")
		switch {
		case errors.Is(err, os.ErrNotExist):
			cause = "no such file"
		case errors.Is(err, store.ErrDamaged):
			cause += "; restore another backup with moimbot restore --from OTHER"
		}
		return usagef("--from %s: %s", *from, cause)
	}
	kept, err := store.Restore(ctx, *from, *dbPath, time.Now())
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%s: %w: stop the bot first", *dbPath, store.ErrLocked)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored %s from %s\n", *dbPath, *from)
	if kept != "" {
		fmt.Fprintf(e.stdout, "the previous database is kept as %s\n", kept)
	}
	return nil
}

func runCompact(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("compact")
	dbPath := dbFlag(e, fs)
	ifNeeded := fs.Bool("if-needed", false, "compact only when more than half of a file of 1 MiB or more is free")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *ifNeeded {
		db, err := openDB(ctx, *dbPath, store.Options{ReadOnly: true, Timeout: 500 * time.Millisecond})
		if err != nil {
			return err
		}
		u, err := db.Usage(ctx)
		db.Close()
		if err != nil {
			return err
		}
		if !u.ShouldCompact() {
			fmt.Fprintf(e.stdout, "%s: %d of %d bytes free; compaction not needed\n", *dbPath, u.FreeBytes, u.FileSize)
			return nil
		}
	}
	if _, err := os.Stat(*dbPath); err != nil {
		return usagef("--db %s: no such file", *dbPath)
	}
	res, err := store.Compact(ctx, *dbPath)
	if err != nil {
		return dbError(*dbPath, err)
	}
	fmt.Fprintf(e.stdout, "compacted %s: %d → %d bytes\n", *dbPath, res.Before, res.After)
	return nil
}

func runRotateKey(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("rotate-key")
	dbPath := dbFlag(e, fs)
	newFile := fs.String("new-key-file", "", "`file` holding the new key (base64 of 32 bytes); else $"+envNewSecretKey)
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	cur, err := store.KeyFromEnv(e.getenv)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "store: secret key: ")
		return usagef("current key: %s", strings.TrimPrefix(msg, "store: ")) // "secret key file F: ..."
	}
	var next *store.Cipher
	switch {
	case *newFile != "" && e.getenv(envNewSecretKey) != "":
		return usagef("give the new key with --new-key-file or %s, not both", envNewSecretKey)
	case *newFile != "":
		if next, err = store.KeyFromFile(*newFile); err != nil {
			return usagef("--new-key-file %s: %s", *newFile, keyProblem(err))
		}
	default:
		next, err = store.KeyFromVars(e.getenv, envNewSecretKey, "")
		if errors.Is(err, store.ErrNoKey) {
			return usagef("give the new key with --new-key-file FILE or %s", envNewSecretKey)
		}
		if err != nil {
			return usagef("%s: %s", envNewSecretKey, keyProblem(err))
		}
	}
	// Opening read-write would create a missing file: a mistyped --db
	// must not "rotate" an empty new database.
	if _, err := os.Stat(*dbPath); err != nil {
		return usagef("--db %s: no such file", *dbPath)
	}
	db, err := openDB(ctx, *dbPath, store.Options{Cipher: cur})
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.RotateKey(ctx, store.ActorCLI, next)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "re-encrypted %d secrets in %s under the new key\n", n, *dbPath)
	fmt.Fprintf(e.stdout, "set %s (or %s) to the new key before starting moimbot\n", store.EnvSecretKey, store.EnvSecretKeyFile)
	return nil
}

// keyProblem is what is wrong with a key, without the store's prefixes.
func keyProblem(err error) string {
	switch {
	case errors.Is(err, store.ErrBadKey):
		// With what follows it: "(the file is larger than 4096 bytes)".
		msg := err.Error()
		return msg[strings.LastIndex(msg, store.ErrBadKey.Error()):]
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	}
	return err.Error()
}

func runCheck(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("check")
	dbPath := dbFlag(e, fs)
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	db, err := openDB(ctx, *dbPath, store.Options{ReadOnly: true, Timeout: 500 * time.Millisecond})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		return dbError(*dbPath, err)
	}
	u, err := db.Usage(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: consistent, schema %d, %d bytes (%d free)\n", *dbPath, store.SchemaVersion, u.FileSize, u.FreeBytes)
	return nil
}
