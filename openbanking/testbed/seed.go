package testbed

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// The demo institution's fixed credentials, printed by `moimbot testbed`.
const (
	DemoClientID      = "moimbot-demo-client"
	DemoClientSecret  = "moimbot-demo-secret"
	DemoClientUseCode = "M202600001"
	DemoUserSeqNo     = "1100000001"
	// DemoRedirectURI is registered when SeedDemo gets no redirect URIs.
	DemoRedirectURI = "http://127.0.0.1:8080/oauth/callback"
	// DemoGroupAccountID and DemoPersonalAccountID are the Account.IDs of
	// the demo accounts.
	DemoGroupAccountID    = "demo-moim"
	DemoPersonalAccountID = "demo-personal"
)

// Demo is what SeedDemo registered.
type Demo struct {
	Institution Institution `json:"institution"`
	User        User        `json:"user"`
	// Accounts[0] is the KakaoBank 모임통장, Accounts[1] a 신한 personal
	// account.
	Accounts []Account `json:"accounts"`
}

// SeedDemo registers the demo data used by `moimbot testbed` and `moimbot
// demo`: the institution "모임봇 데모" with the fixed credentials
// DemoClientID, DemoClientSecret and DemoClientUseCode and the given
// redirect URIs (DemoRedirectURI when none are given); the user 김총무
// (DemoUserSeqNo); a KakaoBank (090) 모임통장 "독서모임 모임통장" and a 신한
// (088) personal account; and about three months, ending at the clock's
// now, of dues deposits by eight members into the 모임통장 — 30,000원 around
// the 25th, mostly in the evening, with the texts people really type
// (김민수, 11월회비김민수, 회비 이지은, 박서준(10월), KIM MINSU), a partial
// payment of 15,000원, a 90,000원 prepayment, a 토스페이맨 refund, monthly
// 이자 and 모임식대 withdrawals — more than 25 rows, so listing them pages.
// The data is deterministic given the clock. Accounts are not registered
// to the institution: that takes the consent page.
func SeedDemo(s *Server, redirectURIs []string) (Demo, error) {
	d, err := SeedDemoAccounts(s, redirectURIs)
	if err != nil {
		return Demo{}, err
	}
	now := s.clock.Now().In(kst)
	for _, e := range demoHistory(now) {
		if _, err := s.Post(e.account, e.Posting); err != nil {
			return Demo{}, err
		}
	}
	return d, nil
}

// SeedDemoAccounts registers what SeedDemo does except the history: the
// institution, the user and the two accounts, at their opening balances and
// with no transactions, for a demo that plays its own deposits.
func SeedDemoAccounts(s *Server, redirectURIs []string) (Demo, error) {
	if len(redirectURIs) == 0 {
		redirectURIs = []string{DemoRedirectURI}
	}
	var (
		d   Demo
		err error
	)
	// The errors of AddInstitution, AddUser and AddAccount already say
	// "testbed: …": they are returned as they are.
	fail := func(err error) (Demo, error) { return Demo{}, err }
	d.Institution, err = s.AddInstitution(Institution{
		Name:          "모임봇 데모",
		ClientID:      DemoClientID,
		ClientSecret:  DemoClientSecret,
		ClientUseCode: DemoClientUseCode,
		RedirectURIs:  redirectURIs,
	})
	if err != nil {
		return fail(err)
	}
	d.User, err = s.AddUser(User{UserSeqNo: DemoUserSeqNo, Name: "김총무", CI: fixedCI("moimbot demo user 김총무")})
	if err != nil {
		return fail(err)
	}
	for _, a := range []Account{
		{ID: DemoGroupAccountID, UserSeqNo: DemoUserSeqNo, BankCodeStd: "090", AccountNum: "3333-01-2345678",
			Alias: "독서모임 모임통장", ProductName: "모임통장", Balance: 412000},
		{ID: DemoPersonalAccountID, UserSeqNo: DemoUserSeqNo, BankCodeStd: "088", AccountNum: "110-123-456789",
			Alias: "생활비 통장", ProductName: "쏠편한 입출금통장", Balance: 1850000},
	} {
		added, err := s.AddAccount(a)
		if err != nil {
			return fail(err)
		}
		d.Accounts = append(d.Accounts, added)
	}
	return d, nil
}

type demoEvent struct {
	account string
	Posting
}

// demoHistory generates the demo transactions of the 92 days up to now,
// oldest first.
func demoHistory(now time.Time) []demoEvent {
	rng := rand.New(rand.NewPCG(20261125, 7))
	start := now.Add(-92 * 24 * time.Hour)
	var events []demoEvent
	add := func(account string, at time.Time, p Posting) {
		if at.After(start) && !at.After(now) {
			p.At = at
			events = append(events, demoEvent{account: account, Posting: p})
		}
	}
	// evening returns a time on day, usually in the evening.
	evening := func(day time.Time) time.Time {
		var h int
		switch r := rng.IntN(100); {
		case r < 70:
			h = 19 + rng.IntN(5) // 19:00–23:59
		case r < 85:
			h = 12 + rng.IntN(2) // lunch
		default:
			h = 8 + rng.IntN(3) // morning
		}
		return day.Add(time.Duration(h)*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
	}
	deposit := func(text string, amount int64) Posting {
		return Posting{InoutType: "입금", TranType: "타행환", PrintContent: text, Amount: amount}
	}
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, kst)
	for i := 3; i >= 0; i-- {
		month := first.AddDate(0, -i, 0)
		m := int(month.Month())
		idx := 3 - i // 0 is the oldest month
		dues := func() time.Time { return evening(month.AddDate(0, 0, 24+rng.IntN(6)-3)) }

		texts := []string{"김민수", fmt.Sprintf("%d월회비김민수", m), "KIM MINSU"}
		add(DemoGroupAccountID, dues(), deposit(texts[idx%len(texts)], 30000))
		if idx%2 == 0 {
			add(DemoGroupAccountID, dues(), deposit("회비 이지은", 30000))
		} else {
			add(DemoGroupAccountID, dues(), deposit("이지은", 30000))
		}
		add(DemoGroupAccountID, dues(), deposit(fmt.Sprintf("박서준(%d월)", m), 30000))
		if idx == 2 {
			// A partial payment, and the rest a few days later.
			at := dues()
			add(DemoGroupAccountID, at, deposit("최유나", 15000))
			rest := time.Date(at.Year(), at.Month(), at.Day()+4, 0, 0, 0, 0, kst)
			add(DemoGroupAccountID, evening(rest), deposit("최유나 나머지", 15000))
		} else {
			add(DemoGroupAccountID, dues(), deposit("최유나", 30000))
		}
		switch idx {
		case 1:
			add(DemoGroupAccountID, dues(), deposit("정하늘 3개월", 90000)) // prepays three months
		case 0:
			add(DemoGroupAccountID, dues(), deposit("정하늘", 30000))
		}
		add(DemoGroupAccountID, dues(), Posting{InoutType: "입금", TranType: "대체", PrintContent: "강도윤", Amount: 30000})
		add(DemoGroupAccountID, dues(), deposit("윤서연회비", 30000))
		// 한지호 pays late, early the next month.
		add(DemoGroupAccountID, evening(month.AddDate(0, 1, 1+rng.IntN(3))), deposit("한지호", 30000))

		if idx == 1 {
			add(DemoGroupAccountID, evening(month.AddDate(0, 0, 11)), deposit("토스페이맨", 12900))
		}
		// Monthly interest early on the 1st, and dinner after the meeting.
		add(DemoGroupAccountID, month.Add(3*time.Hour+time.Duration(rng.IntN(1800))*time.Second),
			Posting{InoutType: "입금", TranType: "이자", PrintContent: "이자", Amount: int64(60 + rng.IntN(80))})
		dinner := month.AddDate(0, 0, 27).Add(21*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
		add(DemoGroupAccountID, dinner, Posting{InoutType: "출금", TranType: "체크카드", PrintContent: "모임식대",
			Amount: int64(150000 + rng.IntN(700)*100)})

		// The treasurer's personal account: salary and a card bill.
		add(DemoPersonalAccountID, month.AddDate(0, 0, 24).Add(9*time.Hour+5*time.Minute),
			Posting{InoutType: "입금", TranType: "급여", PrintContent: "(주)모임컴퍼니급여", Amount: 3200000})
		add(DemoPersonalAccountID, month.AddDate(0, 0, 13).Add(6*time.Hour),
			Posting{InoutType: "출금", TranType: "자동이체", PrintContent: "신한카드", Amount: int64(400000 + rng.IntN(5000)*100)})
	}
	slices.SortStableFunc(events, func(a, b demoEvent) int { return a.At.Compare(b.At) })
	// Two events in the same second keep their generation order; Post
	// needs only a non-decreasing time per account.
	slices.SortStableFunc(events, func(a, b demoEvent) int { return cmp.Compare(a.account, b.account) })
	return events
}
