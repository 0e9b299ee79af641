package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of the reconcile tests")

const reconcileData = "../../ledger/testdata/reconcile"

// TestReconcileGolden runs `moimbot reconcile` on the examples in
// ledger/testdata/reconcile: the same transactions as CSV, as a JSON array
// and as a KFTC response must give the documented output byte for byte.
func TestReconcileGolden(t *testing.T) {
	group := filepath.Join(reconcileData, "group.json")
	tests := []struct {
		name   string
		tx     string
		format string
		golden string
	}{
		{"CSVJSON", "transactions.csv", "json", "expected.json"},
		{"ArrayJSON", "transactions-array.json", "json", "expected.json"},
		{"KFTCJSON", "transactions-kftc.json", "json", "expected.json"},
		{"CSVText", "transactions.csv", "text", "expected.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "reconcile", "--group", group,
				"--transactions", filepath.Join(reconcileData, tt.tx), "--as-of", "2026-11-30", "--format", tt.format)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			golden := filepath.Join(reconcileData, tt.golden)
			if *update && tt.tx == "transactions.csv" {
				if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if stdout != string(want) {
				t.Errorf("output differs from %s:\n%s", golden, stdout)
			}
		})
	}
}

// TestReconcileContract checks the JSON document against the contract's
// rules, independent of the golden file.
func TestReconcileContract(t *testing.T) {
	_, stdout, _ := runCmd(t, "reconcile", "--group", filepath.Join(reconcileData, "group.json"),
		"--transactions", filepath.Join(reconcileData, "transactions.csv"), "--format", "json")
	var doc struct {
		AsOf         string `json:"as_of"`
		Transactions []struct {
			Index       int    `json:"index"`
			InoutType   string `json:"inout_type"`
			TranAmt     int64  `json:"tran_amt"`
			Outcome     string `json:"outcome"`
			Allocations []struct {
				Member string `json:"member"`
				Period string `json:"period"`
				Amount int64  `json:"amount"`
			} `json:"allocations"`
			Candidates []string `json:"candidates"`
			Reason     string   `json:"reason"`
		} `json:"transactions"`
		Members []struct {
			ID      string `json:"id"`
			Balance int64  `json:"balance"`
			Periods []struct {
				Period string `json:"period"`
				Due    int64  `json:"due"`
				Paid   int64  `json:"paid"`
				Status string `json:"status"`
			} `json:"periods"`
		} `json:"members"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if got, want := doc.AsOf, "2026-11-26"; got != want {
		t.Errorf("as_of = %s, want the latest transaction's date %s", got, want)
	}
	for i, tx := range doc.Transactions {
		if tx.Index != i {
			t.Errorf("transaction %d has index %d", i, tx.Index)
		}
		var sum int64
		for _, a := range tx.Allocations {
			sum += a.Amount
		}
		switch tx.Outcome {
		case "matched":
			if sum != tx.TranAmt {
				t.Errorf("transaction %d: allocations add up to %d, want %d", i, sum, tx.TranAmt)
			}
			if len(tx.Candidates) == 0 {
				t.Errorf("transaction %d: matched without candidates", i)
			}
		case "review", "ignored":
			if len(tx.Allocations) != 0 {
				t.Errorf("transaction %d: %s with allocations", i, tx.Outcome)
			}
		default:
			t.Errorf("transaction %d: outcome %q", i, tx.Outcome)
		}
		if tx.InoutType == "출금" && tx.Outcome != "ignored" {
			t.Errorf("transaction %d: withdrawal is %s", i, tx.Outcome)
		}
		if tx.Reason == "" {
			t.Errorf("transaction %d: no reason", i)
		}
	}
	statuses := map[string]bool{"paid": true, "partial": true, "unpaid": true, "exempt": true, "not_owed": true, "credit": true}
	for _, m := range doc.Members {
		if len(m.Periods) < 3 || m.Periods[0].Period != "2026-09" {
			t.Errorf("member %s periods = %+v, want from 2026-09", m.ID, m.Periods)
		}
		for _, p := range m.Periods {
			if !statuses[p.Status] {
				t.Errorf("member %s period %s status %q", m.ID, p.Period, p.Status)
			}
		}
	}
}

func TestReconcileBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	group := filepath.Join(reconcileData, "group.json")
	txs := filepath.Join(reconcileData, "transactions.csv")
	const header = "tran_date,tran_time,inout_type,print_content,tran_amt,after_balance_amt\n"
	type badInput struct {
		name       string
		args       []string
		wantStderr string
	}
	tests := []badInput{
		{"MissingGroupFile", []string{"--group", filepath.Join(dir, "nope.json"), "--transactions", txs}, "nope.json: no such file"},
		{"MissingTransactionsFile", []string{"--group", group, "--transactions", filepath.Join(dir, "nope.csv")}, "nope.csv: no such file"},
		{"InvalidGroupJSON", []string{"--group", write("bad.json", `{"name": `), "--transactions", txs}, "bad.json: invalid JSON"},
		{"InvalidTransactionsJSON", []string{"--group", group, "--transactions", write("bad-tx.json", `[{"tran_date": `)}, "bad-tx.json: invalid JSON"},
		{"CSVWithoutHeader", []string{"--group", group, "--transactions", write("nohead.csv", "20261125,093012,입금,김민수,30000,130000\n")}, "nohead.csv: neither KFTC's columns (line 1: the header must be tran_date,tran_time,inout_type,print_content,tran_amt,after_balance_amt (missing tran_date)) nor a bank statement (no column for the date; found: 20261125, 093012, 입금, 김민수, 30000, 130000)"},
		{"UnknownMemberID", []string{"--group", write("unknown.json", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"id":"a","name":"가"}],"manual":[{"member":"zz","date":"2026-01-02","amount":5}]}`), "--transactions", txs}, `unknown.json: manual payment 1: unknown member id "zz"`},
		{"NegativeAmount", []string{"--group", group, "--transactions", write("neg.csv", header+"20261125,093012,입금,김민수,-30000,0\n")}, "neg.csv: line 2: tran_amt -30000 is negative"},
		{"NegativeDues", []string{"--group", write("negdues.json", `{"name":"x","dues":{"amount":1,"day":1,"start":"2026-01"},"members":[{"id":"a","name":"가","dues":-1}]}`), "--transactions", txs}, "negdues.json: member 1 (\"a\") has negative dues -1"},
		{"NoGroupFlag", []string{"--transactions", txs}, "--group is required"},
		{"BadFormat", []string{"--group", group, "--transactions", txs, "--format", "xml"}, `--format "xml": must be text or json`},
		{"BadAsOf", []string{"--group", group, "--transactions", txs, "--as-of", "2026-11"}, `--as-of "2026-11"`},
		{"Directory", []string{"--group", dir, "--transactions", txs}, "is a directory"},
		{"LongCSVLine", []string{"--group", group, "--transactions", write("long.csv", header+"20261125,093012,입금,"+strings.Repeat("가", 30_000)+",30000,130000\n")}, "long.csv: line 2 is longer than 64 KiB"},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		// Endless inputs: read whole, they would fill the memory.
		tests = append(tests,
			badInput{"EndlessTransactions", []string{"--group", group, "--transactions", "/dev/zero"}, "/dev/zero: larger than 64 MiB"},
			badInput{"EndlessGroup", []string{"--group", "/dev/zero", "--transactions", txs}, "/dev/zero: larger than 4 MiB"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, append([]string{"reconcile"}, tt.args...)...)
			if code != exitUsage {
				t.Errorf("exit = %d, want %d", code, exitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if !strings.HasPrefix(stderr, "moimbot reconcile: ") || !strings.Contains(stderr, tt.wantStderr) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr = %q, want one line containing %q", stderr, tt.wantStderr)
			}
		})
	}
}

// TestReconcileTextIsPrintable: a bank text with a newline or a terminal
// escape cannot break or rewrite the text report.
func TestReconcileTextIsPrintable(t *testing.T) {
	dir := t.TempDir()
	tx := filepath.Join(dir, "tx.csv")
	data := "tran_date,tran_time,inout_type,print_content,tran_amt,after_balance_amt\n" +
		"20261125,093012,입금,\"홍길\n동\x1b[2J\",30000,30000\n"
	if err := os.WriteFile(tx, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, "reconcile", "--group", filepath.Join(reconcileData, "group.json"), "--transactions", tx)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, "\x1b") || strings.Contains(stdout, "홍길\n") {
		t.Errorf("control characters reached the report:\n%q", stdout)
	}
}

// TestReconcileEnglishMoney: the English report writes amounts as the
// README promises, ₩30,000, and never in Korean won.
func TestReconcileEnglishMoney(t *testing.T) {
	code, stdout, stderr := runCmd(t, "reconcile", "--group", filepath.Join(reconcileData, "group.json"),
		"--transactions", filepath.Join(reconcileData, "transactions.csv"), "--as-of", "2026-11-30", "--lang", "en")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "dues ₩30,000, due on day") {
		t.Errorf("English report lacks the dues in ₩:\n%s", stdout)
	}
	if strings.Contains(stdout, "원") {
		t.Errorf("English report has an amount in 원:\n%s", stdout)
	}
}
