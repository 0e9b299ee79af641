package testbed_test

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

func TestSeedDemo(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
	}{
		{"BeforeDuesDay", time.Date(2026, 11, 10, 9, 0, 0, 0, kst)},
		{"OnDuesDay", t0},
		{"MonthEnd", time.Date(2026, 12, 31, 22, 0, 0, 0, kst)},
		{"NewYear", time.Date(2027, 1, 1, 12, 0, 0, 0, kst)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := testbed.New(testbed.Config{Clock: testbed.NewClock(tt.now)})
			d, err := testbed.SeedDemo(sim, nil)
			if err != nil {
				t.Fatal(err)
			}
			in := d.Institution
			if in.ClientID != testbed.DemoClientID || in.ClientSecret != testbed.DemoClientSecret ||
				in.ClientUseCode != "M202600001" || !slices.Equal(in.RedirectURIs, []string{"http://127.0.0.1:8080/oauth/callback"}) {
				t.Errorf("institution = %+v", in)
			}
			if d.User.Name != "김총무" || d.User.UserSeqNo != testbed.DemoUserSeqNo || len(d.User.CI) != 88 {
				t.Errorf("user = %+v", d.User)
			}
			if len(d.Accounts) != 2 || d.Accounts[0].BankCodeStd != "090" || d.Accounts[0].Alias != "독서모임 모임통장" ||
				d.Accounts[1].BankCodeStd != "088" {
				t.Fatalf("accounts = %+v", d.Accounts)
			}
			txs, err := sim.Transactions(d.Accounts[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(txs) <= 25 {
				t.Errorf("%d transactions in the 모임통장, want more than 25", len(txs))
			}
			evening, dues := 0, 0
			for _, tx := range txs {
				if tx.At.After(tt.now) || tx.At.Before(tt.now.AddDate(0, 0, -93)) {
					t.Errorf("transaction at %v outside the three months before %v", tx.At, tt.now)
				}
				if tx.InoutType == "입금" && tx.Amount == 30000 {
					dues++
					if h := tx.At.In(kst).Hour(); h >= 19 {
						evening++
					}
				}
			}
			if evening*2 < dues {
				t.Errorf("%d of %d dues deposits in the evening, want most", evening, dues)
			}
			// Deterministic given the clock.
			again := testbed.New(testbed.Config{Clock: testbed.NewClock(tt.now)})
			if _, err := testbed.SeedDemo(again, []string{"http://127.0.0.1:9000/cb"}); err != nil {
				t.Fatal(err)
			}
			txs2, _ := again.Transactions(d.Accounts[0].ID)
			if !reflect.DeepEqual(txs, txs2) {
				t.Error("two seeds with the same clock differ")
			}
		})
	}
}

func TestSeedDemoContent(t *testing.T) {
	sim := testbed.New(testbed.Config{Clock: testbed.NewClock(time.Date(2026, 12, 20, 12, 0, 0, 0, kst))})
	d, err := testbed.SeedDemo(sim, []string{"http://127.0.0.1:9000/cb"})
	if err != nil {
		t.Fatal(err)
	}
	txs, _ := sim.Transactions(d.Accounts[0].ID)
	var texts []string
	amounts := map[int64]bool{}
	for _, tx := range txs {
		texts = append(texts, tx.PrintContent)
		amounts[tx.Amount] = true
	}
	all := strings.Join(texts, "|")
	for _, want := range []string{"김민수", "0월회비김민수", "회비 이지은", "박서준(10월)", "KIM MINSU", "토스페이맨", "이자", "모임식대", "정하늘 3개월"} {
		if !strings.Contains(all, want) {
			t.Errorf("no transaction %q in %s", want, all)
		}
	}
	for _, want := range []int64{15000, 90000} {
		if !amounts[want] {
			t.Errorf("no transaction of %d원", want)
		}
	}
	if _, err := testbed.SeedDemo(sim, nil); err == nil {
		t.Error("seeding twice succeeded, want a duplicate error")
	}
}

// TestSeedDemoPagesOverHTTP links the demo 모임통장 and reads it page by
// page, as `moimbot demo` does.
func TestSeedDemoPagesOverHTTP(t *testing.T) {
	clock := testbed.NewClock(t0)
	sim := testbed.New(testbed.Config{Clock: clock, RateLimit: -1, SigningKey: []byte(testKey)})
	d, err := testbed.SeedDemo(sim, []string{redirectURI})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sim)
	f := &fixture{sim: sim, srv: srv, clock: clock, inst: d.Institution, user: d.User, acct: d.Accounts[0], acct2: d.Accounts[1]}
	f.client = srv.Client()
	f.client.CheckRedirect = noFollow
	s := &session{fixture: f}
	loc := f.consent(t, f.authorizeValues(), d.User.UserSeqNo, "agree", d.Accounts[0].ID)
	_, _, body := f.postForm(t, "/oauth/2.0/token", f.codeForm(loc.Query().Get("code")))
	s.tok.AccessToken = str(t, decode(t, body), "access_token")
	s.fin = f.fintech(t, d.Accounts[0].ID)
	q := s.txQuery(s.fin)
	q.Set("from_date", t0.AddDate(0, 0, -92).Format("20060102"))
	total, pages := 0, 0
	trace := ""
	for {
		p := s.fetchPage(t, q, trace)
		total += len(p.rows)
		pages++
		if p.next == "N" || pages > 10 {
			break
		}
		trace = p.trace
	}
	txs, _ := sim.Transactions(d.Accounts[0].ID)
	if total != len(txs) || pages < 2 {
		t.Errorf("read %d rows in %d pages, want all %d in at least 2", total, pages, len(txs))
	}
	_, m := s.get(t, pathUserMe, url.Values{"user_seq_no": {d.User.UserSeqNo}}, s.tok.AccessToken)
	wantRsp(t, m, "A0000", "")
}
