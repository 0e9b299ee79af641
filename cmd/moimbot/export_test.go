package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/server"
	"github.com/moimbot/moimbot/store"
)

// exportFixture is storeFixture with the group's language set to lang and,
// when name is not empty, the group renamed to name.
func exportFixture(t *testing.T, lang, name string) string {
	t.Helper()
	path := storeFixture(t)
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g, err := db.Group(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	g.Settings.Language = lang
	if name != "" {
		g.Name = name
	}
	if _, err := db.PutGroup(ctx, "cli", g); err != nil {
		t.Fatal(err)
	}
	return path
}

// readExport returns the files `moimbot export` wrote to out, a directory
// or a zip, by name.
func readExport(t *testing.T, out string) map[string][]byte {
	t.Helper()
	files := make(map[string][]byte)
	if strings.EqualFold(filepath.Ext(out), ".zip") {
		zr, err := zip.OpenReader(out)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name] = b
		}
		return files
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// parseTable checks that b is one CSV table starting with a UTF-8 BOM and
// returns its rows.
func parseTable(t *testing.T, name string, b []byte) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(b, []byte(server.UTF8BOM))
	if !ok {
		t.Errorf("%s: no UTF-8 BOM at the start: % x", name, b[:min(len(b), 8)])
	}
	// One table: every record has the header's number of fields, and
	// no empty line separates a second table.
	recs, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatalf("%s: not one CSV table: %v", name, err)
	}
	return recs
}

var (
	koStatus = [][]string{
		{"회원 ID", "이름", "2024년 1월", "2024년 2월", "2024년 3월", "잔액", "적립금"},
		{"m1", "김민수", "완납", "완납", "미납", "-30000", "0"},
		{"m2", "이영희", "완납", "미납", "미납", "-60000", "0"},
	}
	// koTransactions are the transactions' columns up to the allocations;
	// the matcher's reason follows.
	koTransactions = [][]string{
		{"거래 ID", "계좌", "일시", "구분", "내용", "금액", "거래 후 잔액", "처리 결과", "회원", "처리자", "배분"},
		{"a1/1", "a1", "2024-03-10 09:00:00", "입금", "김민수", "60000", "160000", "확인됨", "m1", "자동", "m1 2024-01 30000; m1 2024-02 30000"},
		{"a1/2", "a1", "2024-03-10 09:01:00", "입금", `'=HYPERLINK("x")`, "30000", "190000", "확인 필요", "", "자동", ""},
		{"a1/3", "a1", "2024-03-10 09:02:00", "출금", "출금", "10000", "180000", "제외", "", "자동", ""},
	}
	koManual = [][]string{
		{"납부 ID", "회원 ID", "일시", "금액", "기록자", "메모", "취소됨", "배분"},
		{"manual/2", "m2", "2024-03-10 09:00:00", "30000", "cli", "cash", "아니요", "m2 2024-01 30000"},
	}
	enStatus = [][]string{
		{"member_id", "name", "2024-01", "2024-02", "2024-03", "balance", "credit"},
		{"m1", "김민수", "paid", "paid", "unpaid", "-30000", "0"},
		{"m2", "이영희", "paid", "unpaid", "unpaid", "-60000", "0"},
	}
	enTransactions = [][]string{
		{"deposit_id", "account", "time", "direction", "text", "amount", "balance", "outcome", "members", "decided_by", "allocations"},
		{"a1/1", "a1", "2024-03-10 09:00:00", "in", "김민수", "60000", "160000", "matched", "m1", "matcher", "m1 2024-01 30000; m1 2024-02 30000"},
		{"a1/2", "a1", "2024-03-10 09:01:00", "in", `'=HYPERLINK("x")`, "30000", "190000", "review", "", "matcher", ""},
		{"a1/3", "a1", "2024-03-10 09:02:00", "out", "출금", "10000", "180000", "ignored", "", "matcher", ""},
	}
	enManual = [][]string{
		{"payment", "member_id", "time", "amount", "by", "note", "voided", "allocations"},
		{"manual/2", "m2", "2024-03-10 09:00:00", "30000", "cli", "cash", "false", "m2 2024-01 30000"},
	}
)

// checkTables compares the tables of files with want (file name → rows,
// each row cut to the width of the wanted one).
func checkTables(t *testing.T, files map[string][]byte, want map[string][][]string) {
	t.Helper()
	var gotNames, wantNames []string
	for name := range files {
		gotNames = append(gotNames, name)
	}
	for name := range want {
		wantNames = append(wantNames, name)
	}
	slices.Sort(gotNames)
	slices.Sort(wantNames)
	if !slices.Equal(gotNames, wantNames) {
		t.Fatalf("files = %q, want %q", gotNames, wantNames)
	}
	for name, rows := range want {
		recs := parseTable(t, name, files[name])
		if len(recs) != len(rows) {
			t.Errorf("%s: %d rows, want %d:\n%q", name, len(recs), len(rows), recs)
			continue
		}
		for i, w := range rows {
			if got := recs[i][:min(len(w), len(recs[i]))]; !slices.Equal(got, w) {
				t.Errorf("%s row %d = %q, want %q", name, i, got, w)
			}
		}
	}
}

func TestExportCommand(t *testing.T) {
	ko := exportFixture(t, "", "")
	en := exportFixture(t, "en", "")
	tests := []struct {
		name       string
		db         string
		out        string // relative to a fresh directory
		args       []string
		want       map[string][][]string
		wantStdout string
	}{
		{"KoreanDefaultLanguageDir", ko, "out", nil, map[string][][]string{
			"독서모임-2024-03-status.csv":          koStatus,
			"독서모임-2024-03-transactions.csv":    koTransactions,
			"독서모임-2024-03-manual-payments.csv": koManual,
		}, "exported 독서모임 as of 2024-03 to "},
		{"EnglishGroupDir", en, "out", nil, map[string][][]string{
			"독서모임-2024-03-status.csv":          enStatus,
			"독서모임-2024-03-transactions.csv":    enTransactions,
			"독서모임-2024-03-manual-payments.csv": enManual,
		}, "독서모임-2024-03-status.csv, 독서모임-2024-03-transactions.csv, 독서모임-2024-03-manual-payments.csv"},
		{"KoreanZip", ko, "독서모임.zip", nil, map[string][][]string{
			"독서모임-2024-03-status.csv":          koStatus,
			"독서모임-2024-03-transactions.csv":    koTransactions,
			"독서모임-2024-03-manual-payments.csv": koManual,
		}, "exported 독서모임 as of 2024-03 to "},
		{"EnglishZipUpperCase", en, "export.ZIP", nil, map[string][][]string{
			"독서모임-2024-03-status.csv":          enStatus,
			"독서모임-2024-03-transactions.csv":    enTransactions,
			"독서모임-2024-03-manual-payments.csv": enManual,
		}, "export.ZIP"},
		{"LangOverridesKorean", ko, "out", []string{"--lang", "en"}, map[string][][]string{
			"독서모임-2024-03-status.csv":          enStatus,
			"독서모임-2024-03-transactions.csv":    enTransactions,
			"독서모임-2024-03-manual-payments.csv": enManual,
		}, "exported"},
		{"LangOverridesEnglishByID", en, "nested/dir", []string{"--lang", "ko", "--group", "g1"}, map[string][][]string{
			"독서모임-2024-03-status.csv":          koStatus,
			"독서모임-2024-03-transactions.csv":    koTransactions,
			"독서모임-2024-03-manual-payments.csv": koManual,
		}, "exported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), tt.out)
			args := append([]string{"export", "--db", tt.db, "--group", "독서모임", "--as-of", "2024-03", "--out", out}, tt.args...)
			code, stdout, stderr := runEnv(t, nil, args...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) || strings.Contains(stdout, "running bot") {
				t.Errorf("stdout = %q, want it to contain %q", stdout, tt.wantStdout)
			}
			checkTables(t, readExport(t, out), tt.want)
			if fi, err := os.Stat(out); err != nil || fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s: mode %v, %v; want it private to the user", out, fi.Mode().Perm(), err)
			}
		})
	}
}

// TestExportDefaultOut writes the CSV files into the current directory
// when --out is not given, and refuses to replace them without --force.
func TestExportDefaultOut(t *testing.T) {
	path := exportFixture(t, "", "")
	t.Chdir(t.TempDir())
	args := []string{"export", "--db", path, "--group", "독서모임", "--as-of", "2024-03"}
	if code, _, stderr := runEnv(t, nil, args...); code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	checkTables(t, readExport(t, "."), map[string][][]string{
		"독서모임-2024-03-status.csv":          koStatus,
		"독서모임-2024-03-transactions.csv":    koTransactions,
		"독서모임-2024-03-manual-payments.csv": koManual,
	})
	code, stdout, stderr := runEnv(t, nil, args...)
	if want := "독서모임-2024-03-status.csv: file exists (add --force to replace it)"; code != exitUsage || !strings.Contains(stderr, want) || stdout != "" {
		t.Errorf("again: exit %d, stdout %q, stderr %q; want %d and %q", code, stdout, stderr, exitUsage, want)
	}
	if code, _, stderr := runEnv(t, nil, append(args, "--force")...); code != exitOK {
		t.Errorf("again with --force: exit %d, stderr %q", code, stderr)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 3 {
		t.Errorf("directory holds %d entries, want the 3 CSV files (no temporary file left)", len(entries))
	}
}

func TestExportJSON(t *testing.T) {
	path := storeFixture(t)
	out := filepath.Join(t.TempDir(), "export.json")
	for _, dest := range []string{"", out} {
		args := []string{"export", "--db", path, "--group", "독서모임", "--format", "json", "--as-of", "2024-03"}
		if dest != "" {
			args = append(args, "--out", dest)
		}
		code, stdout, stderr := runEnv(t, nil, args...)
		if code != exitOK {
			t.Fatalf("--out %q: exit %d, stderr %q", dest, code, stderr)
		}
		doc := []byte(stdout)
		if dest != "" {
			if want := "exported 독서모임 as of 2024-03 to " + dest; !strings.Contains(stdout, want) {
				t.Errorf("stdout = %q, want %q", stdout, want)
			}
			var err error
			if doc, err = os.ReadFile(dest); err != nil {
				t.Fatal(err)
			}
		}
		var ex store.Export
		if err := json.Unmarshal(doc, &ex); err != nil {
			t.Fatal(err)
		}
		if len(ex.Statuses) != 2 || len(ex.Deposits) != 3 || len(ex.Manual) != 1 {
			t.Fatalf("export = %d statuses, %d deposits, %d manual", len(ex.Statuses), len(ex.Deposits), len(ex.Manual))
		}
		if got := ex.Statuses[0].Periods[1].Status; got != ledger.StatusPaid {
			t.Errorf("m1 February = %v, want paid", got)
		}
		if bytes.Contains(doc, []byte(secretAccess)) || bytes.Contains(doc, []byte("199000000000000000000001")) {
			t.Error("the export holds a token or a fintech_use_num")
		}
	}
}

func TestExportUsage(t *testing.T) {
	path := storeFixture(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file.csv")
	os.WriteFile(file, []byte("x"), 0o600)
	zipDir := filepath.Join(dir, "dir.zip")
	os.Mkdir(zipDir, 0o700)
	existingZip := filepath.Join(dir, "old.zip")
	os.WriteFile(existingZip, []byte("x"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"NoGroup", []string{"--db", path}, "--group is required"},
		{"BadFormat", []string{"--db", path, "--group", "독서모임", "--format", "xml"}, `--format "xml" is not csv or json`},
		{"BadMonth", []string{"--db", path, "--group", "독서모임", "--as-of", "March"}, `--as-of "March"`},
		{"UnknownGroup", []string{"--db", path, "--group", "없는모임", "--out", dir}, `--group "없는모임": no such group`},
		{"BadLang", []string{"--db", path, "--group", "독서모임", "--lang", "fr"}, `--lang "fr": must be ko or en`},
		{"LangWithJSON", []string{"--db", path, "--group", "독서모임", "--format", "json", "--lang", "en"}, "--lang applies to --format csv only"},
		{"OutIsAFile", []string{"--db", path, "--group", "독서모임", "--out", file}, "is a file, not a directory"},
		{"ZipIsADirectory", []string{"--db", path, "--group", "독서모임", "--out", zipDir}, zipDir + " is a directory"},
		{"JSONOutIsADirectory", []string{"--db", path, "--group", "독서모임", "--format", "json", "--out", dir}, dir + " is a directory"},
		{"ZipExists", []string{"--db", path, "--group", "독서모임", "--out", existingZip}, existingZip + ": file exists (add --force"},
		{"NoDB", []string{"--db", filepath.Join(dir, "missing.db"), "--group", "독서모임", "--out", dir}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runEnv(t, nil, append([]string{"export"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
			if stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("stdout %q, stderr %q; want one line on stderr only", stdout, stderr)
			}
		})
	}
	if b, _ := os.ReadFile(existingZip); string(b) != "x" {
		t.Error("a refused export changed the existing zip")
	}
	if entries, _ := os.ReadDir(zipDir); len(entries) != 0 {
		t.Errorf("a refused export wrote into %s", zipDir)
	}
}

// TestExportFromRunningBot exports while another process holds the
// database read-write, as the bot does: the export comes over the control
// socket and the files are the ones a cold export writes.
func TestExportFromRunningBot(t *testing.T) {
	path := exportFixture(t, "", "")
	dir := t.TempDir()
	export := func(out string, extra ...string) (int, string, string) {
		t.Helper()
		args := append([]string{"export", "--db", path, "--group", "독서모임", "--as-of", "2024-03", "--out", out}, extra...)
		return runEnv(t, nil, args...)
	}
	cold := map[string]map[string][]byte{}
	for _, out := range []string{"cold", "cold.zip", "cold.json"} {
		extra := []string{}
		if strings.HasSuffix(out, ".json") {
			extra = append(extra, "--format", "json")
		}
		if code, _, stderr := export(filepath.Join(dir, out), extra...); code != exitOK {
			t.Fatalf("cold %s: exit %d, stderr %q", out, code, stderr)
		}
	}
	cold["dir"] = readExport(t, filepath.Join(dir, "cold"))
	cold["zip"] = readExport(t, filepath.Join(dir, "cold.zip"))
	coldJSON, _ := os.ReadFile(filepath.Join(dir, "cold.json"))

	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Held, and nobody on the socket.
	code, _, stderr := export(filepath.Join(dir, "none"))
	if code != exitError || !strings.Contains(stderr, "in use by another moimbot process") || !strings.Contains(stderr, "no running moimbot answers") {
		t.Errorf("held, no socket: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "none")); err == nil {
		t.Error("a failed export created its directory")
	}

	served := make(chan error, 1)
	go func() { served <- serveAdmin(ctx, db, nil, adminSocket(path)) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serveAdmin: %v", err)
		}
	}()
	waitForSocket(t, adminSocket(path))

	tests := []struct {
		name  string
		out   string
		extra []string
		cold  string
	}{
		{"Dir", "hot", nil, "dir"},
		{"Zip", "hot.zip", nil, "zip"},
		{"ByID", "hot-id", []string{"--group", "g1"}, "dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := export(filepath.Join(dir, tt.out), tt.extra...)
			if code != exitOK || !strings.Contains(stdout, "from the running bot") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			got := readExport(t, filepath.Join(dir, tt.out))
			want := cold[tt.cold]
			if len(got) != 3 || len(got) != len(want) {
				t.Fatalf("got %d files, want 3", len(got))
			}
			for name, b := range want {
				if !bytes.Equal(got[name], b) {
					t.Errorf("%s differs from the cold export:\n%s\nwant\n%s", name, got[name], b)
				}
			}
		})
	}
	t.Run("JSON", func(t *testing.T) {
		out := filepath.Join(dir, "hot.json")
		code, _, stderr := export(out, "--format", "json")
		if code != exitOK {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, coldJSON) {
			t.Errorf("hot JSON differs from the cold one:\n%s\nwant\n%s", got, coldJSON)
		}
	})
	t.Run("UnknownGroup", func(t *testing.T) {
		code, stdout, stderr := export(filepath.Join(dir, "x"), "--group", "없는모임")
		if want := `--group "없는모임": no such group`; code != exitUsage || !strings.Contains(stderr, want) || stdout != "" {
			t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, stdout, stderr, exitUsage, want)
		}
	})
}

// TestExportUnsafeGroupName exports groups whose names hold "/" and "..":
// every file lands inside --out, in the directory and in the zip.
func TestExportUnsafeGroupName(t *testing.T) {
	tests := []struct {
		name, stem string
	}{
		{"../../탈출/모임", "탈출_모임"},
		{"..", "g1"},
		{"a/b", "a_b"},
	}
	for _, tt := range tests {
		t.Run(tt.stem, func(t *testing.T) {
			path := exportFixture(t, "", tt.name)
			base := t.TempDir()
			want := []string{tt.stem + "-2024-03-manual-payments.csv", tt.stem + "-2024-03-status.csv", tt.stem + "-2024-03-transactions.csv"}
			for _, out := range []string{filepath.Join(base, "a", "b", "out"), filepath.Join(base, "a", "b", "out.zip")} {
				code, _, stderr := runEnv(t, nil, "export", "--db", path, "--group", tt.name, "--as-of", "2024-03", "--out", out)
				if code != exitOK {
					t.Fatalf("exit %d, stderr %q", code, stderr)
				}
				var got []string
				for name := range readExport(t, out) {
					got = append(got, name)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s holds %q, want %q", out, got, want)
				}
			}
			// Nothing outside --out: base/a/b holds out and out.zip only.
			var all []string
			filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(base, p)
					all = append(all, filepath.ToSlash(rel))
				}
				return nil
			})
			wantAll := []string{"a/b/out.zip"}
			for _, n := range want {
				wantAll = append(wantAll, "a/b/out/"+n)
			}
			slices.Sort(all)
			slices.Sort(wantAll)
			if !slices.Equal(all, wantAll) {
				t.Errorf("files written = %q, want %q", all, wantAll)
			}
		})
	}
}
