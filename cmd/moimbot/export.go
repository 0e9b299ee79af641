package main

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/server"
	"github.com/moimbot/moimbot/store"
)

// runExport writes a group's export: by default three CSV files, one table
// each (server.ExportTables, the tables the chat's /export sends too), in
// the group's language, from the database or, when the bot holds the file,
// from the bot over its control socket.
func runExport(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("export")
	dbPath := dbFlag(e, fs)
	group := fs.String("group", "", "the group's `name` (or id) (required)")
	format := fs.String("format", "csv", "output `format`: csv (three tables, one file each, UTF-8 with a BOM for Excel) or json (one document)")
	out := fs.String("out", "", "write the CSV files into `DIR`, created if missing: <group>-<YYYY-MM>-status.csv,\n"+
		"-transactions.csv and -manual-payments.csv; into one zip of them when DIR ends in .zip;\n"+
		"with --format json, the document into this file\n"+
		"(default: CSV into the current directory, JSON to stdout)")
	force := fs.Bool("force", false, "replace files that exist")
	langFlag := fs.String("lang", "", "`language` of the CSV headers and words: ko or en (default: the group's)")
	asOfFlag := fs.String("as-of", "", "last month of the status, `YYYY-MM` (default: this month)")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *group == "" {
		return usagef("--group is required")
	}
	if *format != "csv" && *format != "json" {
		return usagef("--format %q is not csv or json", *format)
	}
	if *langFlag != "" && *langFlag != string(bot.Korean) && *langFlag != string(bot.English) {
		return usagef("--lang %q: must be ko or en", *langFlag)
	}
	if *langFlag != "" && *format == "json" {
		return usagef("--lang applies to --format csv only")
	}
	asOf := ledger.MonthOf(time.Now().In(ledger.KST()))
	if *asOfFlag != "" {
		p, err := ledger.ParsePeriod(*asOfFlag)
		if err != nil || p.IsZero() {
			return usagef("--as-of %q is not YYYY-MM", *asOfFlag)
		}
		asOf = p
	}
	zipped := strings.EqualFold(filepath.Ext(*out), ".zip")
	if fi, err := os.Stat(*out); *out != "" && err == nil {
		switch {
		case fi.IsDir() && (*format == "json" || zipped):
			return usagef("--out %s is a directory", *out)
		case !fi.IsDir() && *format == "csv" && !zipped:
			return usagef("--out %s is a file, not a directory (end it in .zip for an archive)", *out)
		}
	}

	ex, hot, err := loadExport(ctx, *dbPath, *group, asOf)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("--group %q: no such group", *group)
	}
	if err != nil {
		return err
	}
	from := ""
	if hot {
		from = " from the running bot"
	}
	done := func(dest string) {
		fmt.Fprintf(e.stdout, "exported %s as of %s%s to %s\n", printable(ex.Group.Name), ex.AsOf, from, dest)
	}

	if *format == "json" {
		write := func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(ex)
		}
		if *out == "" {
			return write(e.stdout)
		}
		if err := refuseExisting(*force, *out); err != nil {
			return err
		}
		if err := writeFileAtomic(*out, write); err != nil {
			return err
		}
		done(*out)
		return nil
	}

	lang := bot.ParseLang(ex.Group.Settings.Language)
	if *langFlag != "" {
		lang = bot.Lang(*langFlag)
	}
	tables := server.ExportTables(ex, lang)
	if zipped {
		if err := refuseExisting(*force, *out); err != nil {
			return err
		}
		if err := writeFileAtomic(*out, func(w io.Writer) error { return writeExportZip(w, tables, time.Now()) }); err != nil {
			return err
		}
		done(*out)
		return nil
	}
	dir := *out
	if dir == "" {
		dir = "."
	}
	paths := make([]string, len(tables))
	names := make([]string, len(tables))
	for i, t := range tables {
		paths[i] = filepath.Join(dir, t.Name)
		names[i] = t.Name
	}
	if err := refuseExisting(*force, paths...); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err // "mkdir DIR: ..." says it all
	}
	for i, t := range tables {
		if err := writeFileAtomic(paths[i], func(w io.Writer) error { return server.WriteCSV(w, t.Rows) }); err != nil {
			return err
		}
	}
	done(dir + ": " + strings.Join(names, ", "))
	return nil
}

// loadExport reads the export of group (a name or an id) as of asOf from
// the database at path or, when another process holds the file, from that
// process over the control socket; hot reports the latter. A group that
// does not exist gives store.ErrNotFound.
func loadExport(ctx context.Context, path, group string, asOf ledger.Period) (ex store.Export, hot bool, err error) {
	db, err := store.Open(ctx, path, store.Options{ReadOnly: true, Timeout: 500 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		sock := adminSocket(path)
		ex, err = exportFromAdmin(ctx, sock, group, asOf)
		if errors.Is(err, errNoAdmin) {
			return ex, false, fmt.Errorf("%s: %w, and %v at %s", path, store.ErrLocked, errNoAdmin, sock)
		}
		return ex, true, err
	}
	if err != nil {
		return ex, false, dbError(path, err)
	}
	defer db.Close()
	ex, err = exportGroup(ctx, db, group, asOf)
	return ex, false, err
}

// exportGroup gathers the export of group, found by name or else by id.
// It is what `moimbot export` reads from the file and what the control
// socket's GET /export serves.
func exportGroup(ctx context.Context, db *store.DB, group string, asOf ledger.Period) (store.Export, error) {
	g, err := findGroup(ctx, db, group)
	if err != nil {
		return store.Export{}, err
	}
	return db.Export(ctx, g.ID, asOf)
}

// findGroup returns the group named group, or else the one with that id.
func findGroup(ctx context.Context, db *store.DB, group string) (store.Group, error) {
	g, err := db.GroupByName(ctx, group)
	if errors.Is(err, store.ErrNotFound) {
		g, err = db.Group(ctx, group)
	}
	return g, err
}

// adminNoSuchGroup is the body of the control socket's 404 answer to
// GET /export for a group it does not know; an older bot that does not
// serve /export at all answers 404 too, with another body.
const adminNoSuchGroup = "no such group"

// exportFromAdmin asks the process serving the control socket at sock for
// the export of group as of asOf.
func exportFromAdmin(ctx context.Context, sock, group string, asOf ledger.Period) (store.Export, error) {
	q := url.Values{"group": {group}, "as_of": {asOf.String()}}
	resp, err := adminGet(ctx, sock, "/export?"+q.Encode())
	var se *adminStatusError
	if errors.As(err, &se) && se.code == http.StatusNotFound {
		if se.text == adminNoSuchGroup {
			return store.Export{}, fmt.Errorf("export from the running bot: %w", store.ErrNotFound)
		}
		return store.Export{}, fmt.Errorf("export from the running bot: it does not serve exports (restart it with this moimbot): %w", err)
	}
	if err != nil {
		return store.Export{}, err
	}
	defer resp.Body.Close()
	var ex store.Export
	if err := json.NewDecoder(resp.Body).Decode(&ex); err != nil {
		return store.Export{}, fmt.Errorf("export from the running bot: %w", err)
	}
	return ex, nil
}

// refuseExisting returns a usage error naming the first of paths that
// exists, unless force is set.
func refuseExisting(force bool, paths ...string) error {
	if force {
		return nil
	}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return usagef("--out %s: file exists (add --force to replace it)", p)
		}
	}
	return nil
}

// writeFileAtomic writes path (mode 0600: an export names members and
// their payments) through a temporary file beside it, so that a failed
// export leaves neither a half-written file nor a damaged earlier one.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeExportZip writes the tables as one zip archive, a CSV file each,
// stamped with the time modified.
func writeExportZip(w io.Writer, tables []server.ExportTable, modified time.Time) error {
	zw := zip.NewWriter(w)
	for _, t := range tables {
		fh := &zip.FileHeader{Name: t.Name, Method: zip.Deflate, Modified: modified.In(ledger.KST())}
		fh.SetMode(0o600)
		fw, err := zw.CreateHeader(fh)
		if err != nil {
			return err
		}
		if err := server.WriteCSV(fw, t.Rows); err != nil {
			return err
		}
	}
	return zw.Close()
}
