package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/moimbot/moimbot/server"
	"github.com/moimbot/moimbot/statement"
	"github.com/moimbot/moimbot/store"
)

// envStatementPassword holds an encrypted workbook's password for import
// and reconcile, so that it need not be typed on a command line.
const envStatementPassword = "MOIMBOT_STATEMENT_PASSWORD"

// maxStatementFile is the largest statement file import and reconcile
// read.
const maxStatementFile = 50 << 20

// runImport stores the rows of bank statement files for a group: into the
// database, or through the running bot's control socket when it holds the
// file.
func runImport(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("import")
	dbPath := dbFlag(e, fs)
	group := fs.String("group", "", "the group's `name` (or id) (required)")
	dryRun := fs.Bool("dry-run", false, "read the files and print what would change; store nothing")
	password := fs.String("password", "", "the `password` of encrypted workbooks (default $"+envStatementPassword+")")
	bank := fs.String("bank", "", "read the files with this bank's `profile` (default: detect)")
	if err := parseFlagsArgs(e, fs, args, "FILE... (Excel .xlsx, CSV or HTML .xls as the bank exports them; flags first)"); err != nil {
		return err
	}
	if *group == "" {
		return usagef("--group is required")
	}
	if fs.NArg() == 0 {
		return usagef("name at least one statement FILE")
	}
	pw := *password
	if pw == "" {
		pw = e.getenv(envStatementPassword)
	}
	// Every file is read before anything is stored: a file that cannot be
	// read stops the command with nothing changed.
	var sts []*statement.Statement
	for _, path := range fs.Args() {
		st, err := readStatement(path, pw, *bank)
		if err != nil {
			return err
		}
		sts = append(sts, st)
	}
	imp, closeFn, err := importer(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer closeFn()
	for i, st := range sts {
		sum, err := imp(ctx, *group, st, *dryRun)
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(i), err)
		}
		fmt.Fprintln(e.stdout, fs.Arg(i)+": "+summaryLine(sum))
	}
	return nil
}

// readStatement reads a statement file with the given password and bank
// profile; its errors are one line naming the file.
func readStatement(path, password, bank string) (*statement.Statement, error) {
	data, err := readInput(path, maxStatementFile)
	if err != nil {
		return nil, err
	}
	st, err := statement.Read(path, data, statement.Options{Password: password, Bank: bank})
	switch {
	case errors.Is(err, statement.ErrPassword):
		return nil, fmt.Errorf("%s: the workbook is encrypted: give its password with --password or $%s", path, envStatementPassword)
	case errors.Is(err, statement.ErrWrongPassword):
		return nil, fmt.Errorf("%s: the password does not open the workbook", path)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// summaryLine is one line of what a file brought.
func summaryLine(s server.ImportSummary) string {
	period := "-"
	if !s.From.IsZero() {
		period = s.From.Format(time.DateOnly) + " ~ " + s.To.Format(time.DateOnly)
	}
	verb := "stored"
	if s.DryRun {
		verb = "would store"
	}
	return fmt.Sprintf("%d rows (%s, %s): %s %d new (deposits %d: matched %d, to review %d, not dues %d), %d already recorded",
		s.Rows, s.Bank, period, verb, s.New, s.Deposits, s.Matched, s.Review, s.Ignored, s.Duplicates)
}

// importFunc imports one read statement into a group.
type importFunc func(ctx context.Context, group string, st *statement.Statement, dryRun bool) (server.ImportSummary, error)

// importer opens the database at path for importing, or, when a running
// bot holds it, returns a function that imports through its control
// socket. The caller calls closeFn when done.
func importer(ctx context.Context, path string) (imp importFunc, closeFn func(), err error) {
	db, err := store.Open(ctx, path, store.Options{Timeout: 500 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		sock := adminSocket(path)
		if _, serr := os.Stat(sock); serr != nil {
			return nil, nil, fmt.Errorf("%s: %w, and %v at %s", path, store.ErrLocked, errNoAdmin, sock)
		}
		return func(ctx context.Context, group string, st *statement.Statement, dryRun bool) (server.ImportSummary, error) {
			return importFromAdmin(ctx, sock, group, st, dryRun)
		}, func() {}, nil
	}
	if err != nil {
		return nil, nil, dbError(path, err)
	}
	eng := server.New(server.Config{DB: db})
	return func(ctx context.Context, group string, st *statement.Statement, dryRun bool) (server.ImportSummary, error) {
		return importGroup(ctx, db, eng, group, st, dryRun)
	}, func() { db.Close() }, nil
}

// importGroup imports st into group (a name, or else an id). It is what
// `moimbot import` does on the file and what the control socket's
// POST /import serves.
func importGroup(ctx context.Context, db *store.DB, eng *server.Engine, group string, st *statement.Statement, dryRun bool) (server.ImportSummary, error) {
	g, err := findGroup(ctx, db, group)
	if err != nil {
		return server.ImportSummary{}, err
	}
	return eng.ImportStatement(ctx, g.ID, st, server.ImportOptions{Actor: "cli", DryRun: dryRun})
}

// importFromAdmin sends a read statement to the process serving the
// control socket at sock. The file's password never leaves this process:
// the rows do.
func importFromAdmin(ctx context.Context, sock, group string, st *statement.Statement, dryRun bool) (server.ImportSummary, error) {
	body, err := json.Marshal(st)
	if err != nil {
		return server.ImportSummary{}, fmt.Errorf("import through the running bot: %w", err)
	}
	q := url.Values{"group": {group}}
	if dryRun {
		q.Set("dry_run", "1")
	}
	hc := adminClient(sock)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://moimbot/import?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return server.ImportSummary{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return server.ImportSummary{}, fmt.Errorf("import through the running bot: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if string(bytes.TrimSpace(msg)) == adminNoSuchGroup {
			return server.ImportSummary{}, fmt.Errorf("import through the running bot: %w", store.ErrNotFound)
		}
		return server.ImportSummary{}, errors.New("import through the running bot: it does not take imports (restart it with this moimbot)")
	default:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return server.ImportSummary{}, fmt.Errorf("import through the running bot: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	var sum server.ImportSummary
	if err := json.NewDecoder(resp.Body).Decode(&sum); err != nil {
		return server.ImportSummary{}, fmt.Errorf("import through the running bot: %w", err)
	}
	return sum, nil
}

// maxAdminImport bounds the body of the control socket's POST /import:
// the rows of one statement file as JSON.
const maxAdminImport = 64 << 20

// handleAdminImport is the control socket's POST /import?group=G[&dry_run=1]
// with a statement.Statement as JSON.
func handleAdminImport(db *store.DB, eng *server.Engine) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		group := r.URL.Query().Get("group")
		if group == "" {
			http.Error(w, "want group", http.StatusBadRequest)
			return
		}
		var st statement.Statement
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminImport)).Decode(&st); err != nil {
			http.Error(w, "want a statement as JSON", http.StatusBadRequest)
			return
		}
		sum, err := importGroup(r.Context(), db, eng, group, &st, r.URL.Query().Get("dry_run") == "1")
		switch {
		case errors.Is(err, store.ErrNotFound):
			http.Error(w, adminNoSuchGroup, http.StatusNotFound)
			return
		case errors.Is(err, server.ErrNoStatementAccount):
			http.Error(w, err.Error(), http.StatusConflict)
			return
		case err != nil:
			http.Error(w, "import failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(sum)
	}
}

// statementLike reports whether a transaction file that KFTC's reader
// refused is rather a bank's own statement: not JSON, and no KFTC column
// names in its first line. The error of the reader it was meant for is
// the one to show.
func statementLike(data []byte) bool {
	t := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return false
	}
	first, _, _ := bytes.Cut(t, []byte("\n"))
	return !bytes.Contains(first, []byte("tran_date"))
}
