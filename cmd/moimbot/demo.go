package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/text/width"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

// runDemo runs what moimbot can do so far end to end on the embedded KFTC
// simulator, with no configuration: it serves the simulator on a loopback port,
// links the demo account through the real OAuth code flow (the consent page's
// form submitted by script), reads the account list, the balance and every
// page of the transaction list through the real client, stores the rows in a
// temporary database (matched, allocated, and deduplicated against an
// overlapping second read), and prints who has paid for which month.
//
// The polling loop, the notices and reminders, and the chat adapters arrive
// with later issues; the demo grows with them.
func runDemo(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("demo")
	days := fs.Int("days", 90, "how many days of transactions to read")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if *days < 1 || *days > 365 {
		return usagef("-days %d: must be between 1 and 365", *days)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	w := e.stdout

	// The demo reads the account on the real clock; the nightly maintenance
	// window would fail it between 23:50 and 00:10 KST.
	sim := testbed.New(testbed.Config{NoMaintenance: true})
	const callback = "http://127.0.0.1/oauth/callback"
	demo, err := testbed.SeedDemo(sim, []string{callback})
	if err != nil {
		return fmt.Errorf("seed simulator: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		<-served
	}()
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(w, "▶ KFTC 오픈뱅킹 테스트베드 시뮬레이터: %s\n", base)

	in := demo.Institution
	client, err := openbanking.New(openbanking.Config{
		BaseURL:       base,
		ClientID:      in.ClientID,
		ClientSecret:  in.ClientSecret,
		ClientUseCode: in.ClientUseCode,
		RedirectURI:   callback,
		Now:           sim.Clock().Now,
	})
	if err != nil {
		return err
	}

	// 1. The treasurer links the group account: consent page → callback → token.
	state := openbanking.NewState()
	authURL, err := client.AuthorizeURL(state, openbanking.AuthorizeOptions{Scope: "login inquiry"})
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(demo.Accounts))
	for _, a := range demo.Accounts {
		ids = append(ids, a.ID)
	}
	loc, err := testbed.Consent(ctx, nil, authURL, demo.User.UserSeqNo, ids[:1], true)
	if err != nil {
		return fmt.Errorf("consent: %w", err)
	}
	cb, err := openbanking.ParseCallback(loc.Query(), state)
	if err != nil {
		return err
	}
	tok, err := client.ExchangeCode(ctx, cb.Code)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "▶ %s님이 동의 화면에서 모임통장 조회를 허용했습니다 (토큰 만료 %s)\n",
		demo.User.Name, tok.ExpiresAt.In(openbanking.KST()).Format("2006-01-02"))

	session := client.NewSession(tok, nil)
	accounts, err := session.AccountList(ctx, openbanking.AccountListOptions{})
	if err != nil {
		return err
	}
	if len(accounts.Accounts) == 0 {
		return errors.New("account list is empty after consent")
	}
	acct := accounts.Accounts[0]
	bal, err := session.Balance(ctx, acct.FintechUseNum)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "▶ 등록 계좌: %s %s %q, 잔액 %s\n", acct.BankName, acct.AccountNumMasked, acct.AccountAlias, won(bal.BalanceAmt))

	// 2. Read the transactions, page by page.
	now := sim.Clock().Now().In(ledger.KST())
	query := openbanking.TransactionQuery{FintechUseNum: acct.FintechUseNum, From: now.AddDate(0, 0, -*days), To: now}
	list, err := session.Transactions(ctx, query)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "▶ 최근 %d일 거래내역 %d건 (%d페이지, 페이지당 최대 25건)\n\n", *days, len(list.Rows), list.Pages)
	var deposits, withdrawals int64
	for _, t := range list.Rows {
		sign := "+"
		if t.IsDeposit() {
			deposits += t.Amount
		} else {
			sign = "-"
			withdrawals += abs(t.Amount)
		}
		fmt.Fprintf(w, "  %s  %s %s%11s  %s  잔액 %11s\n", t.At.Format("01-02 15:04"), t.InoutType, sign, won(abs(t.Amount)), padRight(t.PrintContent, 20), won(t.AfterBalance))
	}
	fmt.Fprintf(w, "\n▶ 입금 합계 %s, 출금 합계 %s\n", won(deposits), won(withdrawals))

	// 3. Sync the group's months into a database (deduplicated) and match
	// them, as the bot will: from the first whole month read.
	from := now.AddDate(0, 0, -*days)
	start := ledger.MonthOf(from)
	if from.Day() != 1 || from.Hour() != 0 {
		start++
	}
	group := demoGroup(start)
	synced, err := session.Transactions(ctx, openbanking.TransactionQuery{FintechUseNum: acct.FintechUseNum, From: start.Start(openbanking.KST()), To: now})
	if err != nil {
		return err
	}
	if err := demoStore(ctx, w, group, acct, synced.Rows, func() ([]openbanking.Transaction, error) {
		again, err := session.Transactions(ctx, openbanking.TransactionQuery{FintechUseNum: acct.FintechUseNum, From: now.AddDate(0, 0, -7), To: now})
		return again.Rows, err
	}); err != nil {
		return err
	}

	// 4. Who has paid for which month: the same report as `moimbot reconcile`.
	rep, err := ledger.Reconcile(&ledger.GroupDefinition{Group: group}, bankTransactions(synced.Rows), now)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\n▶ 회비 현황")
	if err := writeReconcileText(w, group, rep, "ko"); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n▶ 입금 알림, 리마인더, 텔레그램·슬랙 연동은 다음 단계에서 이 데모에 더해집니다.")
	return nil
}

// demoGroup is the 독서모임 whose dues the simulator's demo account holds:
// eight members at 30,000원 on the 25th from month start, one of them
// registered with a romanised alias.
func demoGroup(start ledger.Period) *ledger.Group {
	g := &ledger.Group{
		ID:   "demo",
		Name: "독서모임",
		Dues: ledger.DuesRule{Amount: 30000, Day: 25, Start: start},
	}
	for i, name := range []string{"김민수", "이지은", "박서준", "최유나", "정하늘", "강도윤", "윤서연", "한지호"} {
		g.Members = append(g.Members, ledger.Member{ID: fmt.Sprintf("m%02d", i+1), Name: name})
	}
	g.Members[0].Aliases = []ledger.Alias{{Text: "KIM MINSU"}}
	return g
}

// bankTransactions converts the client's rows to the ledger's.
func bankTransactions(rows []openbanking.Transaction) []ledger.BankTransaction {
	out := make([]ledger.BankTransaction, 0, len(rows))
	for _, t := range rows {
		inout := "출금"
		if t.IsDeposit() {
			inout = "입금"
		}
		out = append(out, ledger.BankTransaction{
			Date: t.Date, Time: t.Time, InoutType: inout, PrintContent: t.PrintContent,
			Amount: abs(t.Amount), AfterBalance: t.AfterBalance, At: t.At,
		})
	}
	return out
}

// demoStore ingests rows into a temporary database the way the bot will,
// then ingests a second, overlapping read to show that nothing is stored
// twice. The database is removed afterwards.
func demoStore(ctx context.Context, w io.Writer, g *ledger.Group, acct openbanking.Account, rows []openbanking.Transaction, reread func() ([]openbanking.Transaction, error)) error {
	dir, err := os.MkdirTemp("", "moimbot-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "moimbot.db"), store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	sg, err := db.PutGroup(ctx, "demo", store.Group{Group: *g})
	if err != nil {
		return err
	}
	a, err := db.PutAccount(ctx, "demo", store.Account{GroupID: sg.ID, FintechUseNum: acct.FintechUseNum, BankName: acct.BankName, Masked: acct.AccountNumMasked})
	if err != nil {
		return err
	}
	res, err := db.Ingest(ctx, a.ID, deposits(rows), store.Cursor{}, store.IngestOptions{})
	if err != nil {
		return err
	}
	var n outcomeCounts
	for _, in := range res.New {
		n.add(in.Match.Outcome)
	}
	fmt.Fprintf(w, "▶ %s부터의 거래 %d건을 임시 데이터베이스에 저장: 자동 확인 %d · 확인 필요 %d · 제외 %d\n",
		g.Dues.Start, len(res.New), n.matched, n.review, n.ignored)
	again, err := reread()
	if err != nil {
		return err
	}
	res, err = db.Ingest(ctx, a.ID, deposits(again), store.Cursor{}, store.IngestOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "▶ 최근 7일을 다시 조회: %d건 중 새 거래 %d건 (겹치는 거래는 한 번만 저장)\n", len(again), len(res.New))
	items, err := db.Review(ctx, sg.ID)
	if err != nil {
		return err
	}
	for _, it := range items {
		fmt.Fprintf(w, "  확인 필요: %s %s %s — %s\n", it.Deposit.At.Format("01-02 15:04"), padRight(it.Deposit.Text, 16), won(it.Deposit.Amount), it.Match.Reason.Korean())
	}
	return nil
}

// deposits converts the client's rows to the store's input.
func deposits(rows []openbanking.Transaction) []ledger.Deposit {
	out := make([]ledger.Deposit, 0, len(rows))
	for _, t := range bankTransactions(rows) {
		out = append(out, t.Deposit(""))
	}
	return out
}

// padRight pads s with spaces to n terminal columns, counting East Asian wide
// characters (Hangul, full-width Latin) as two columns.
func padRight(s string, n int) string {
	cols := columns(s)
	if cols >= n {
		return s
	}
	return s + strings.Repeat(" ", n-cols)
}

// columns counts the terminal columns of s, East Asian wide characters as
// two.
func columns(s string) int {
	cols := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			cols += 2
		default:
			cols++
		}
	}
	return cols
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// won formats an amount the Korean way: 30,000원.
func won(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := fmt.Sprint(v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s + "원"
}
