package testbed

import (
	"cmp"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// ErrNotFound is returned, wrapped, by the admin operations when an id
// (account, access token, fintech_use_num) is unknown.
var ErrNotFound = errors.New("not found")

// bankNames maps bank_code_std to the bank name of the contract's table.
var bankNames = map[string]string{
	"004": "KB국민은행",
	"088": "신한은행",
	"020": "우리은행",
	"081": "하나은행",
	"011": "NH농협은행",
	"090": "카카오뱅크",
	"092": "토스뱅크",
	"089": "케이뱅크",
	"097": "오픈은행",
}

// Scopes a user may be asked to consent to. The institution-only scope
// "oob" is always available to client_credentials.
var userScopes = []string{"inquiry", "login", "transfer"}

// maxPrintContent is the length limit of print_content in characters.
const maxPrintContent = 20

// Institution is a registered 이용기관 (the portal's app registration).
type Institution struct {
	Name          string   `json:"name"`
	ClientID      string   `json:"client_id"`
	ClientSecret  string   `json:"client_secret"`
	ClientUseCode string   `json:"client_use_code"`
	RedirectURIs  []string `json:"redirect_uris"`
	Scopes        []string `json:"scopes"`
}

// User is a test user (the 테스트 데이터 관리 page's 사용자).
type User struct {
	UserSeqNo string `json:"user_seq_no"`
	Name      string `json:"name"`
	CI        string `json:"ci"`
}

// Account is a bank account of a test user.
type Account struct {
	// ID is the simulator-internal id used by the admin API; generated
	// when empty.
	ID string `json:"id"`
	// UserSeqNo is the owner, who must exist.
	UserSeqNo string `json:"user_seq_no"`
	// BankCodeStd is the 3-digit bank code, e.g. "090" 카카오뱅크.
	BankCodeStd string `json:"bank_code_std"`
	// BankName is derived from the contract's table when empty.
	BankName string `json:"bank_name"`
	// AccountNum is the full account number, e.g. "3333-01-2345678".
	AccountNum string `json:"account_num"`
	// Alias is the account's nickname (account_alias).
	Alias string `json:"alias"`
	// HolderName defaults to the user's name.
	HolderName string `json:"holder_name"`
	// ProductName is the bank's product name; default "입출금통장".
	ProductName string `json:"product_name"`
	// AccountType is the KFTC account type; default "1" 수시입출금.
	AccountType string `json:"account_type"`
	// Balance is the opening balance in won.
	Balance int64 `json:"balance"`
}

// Posting is a transaction to append to an account's history.
type Posting struct {
	// InoutType is "입금" (deposit) or "출금" (withdrawal).
	InoutType string `json:"inout_type"`
	// TranType defaults to "타행환" for a deposit and "대체" for a withdrawal.
	TranType string `json:"tran_type"`
	// PrintContent is the bankbook text (at most 20 characters).
	PrintContent string `json:"print_content"`
	// Amount is the amount in won; it must be positive.
	Amount int64 `json:"amount"`
	// BranchName is the branch shown with the transaction.
	BranchName string `json:"branch_name"`
	// At is when the transaction happened; zero means the clock's now.
	At time.Time `json:"at,omitzero"`
}

// Transaction is a posted transaction with its running balance.
type Transaction struct {
	// Seq numbers an account's transactions from 1 in posting order.
	Seq          int64     `json:"seq"`
	At           time.Time `json:"at"`
	InoutType    string    `json:"inout_type"`
	TranType     string    `json:"tran_type"`
	PrintContent string    `json:"print_content"`
	BranchName   string    `json:"branch_name"`
	Amount       int64     `json:"amount"`
	AfterBalance int64     `json:"after_balance"`
}

// Registration records that a user agreed to let an institution inquire an
// account, under a fintech_use_num that is stable for the (account,
// institution) pair.
type Registration struct {
	FintechUseNum    string    `json:"fintech_use_num"`
	AccountID        string    `json:"account_id"`
	ClientID         string    `json:"client_id"`
	ClientUseCode    string    `json:"client_use_code"`
	UserSeqNo        string    `json:"user_seq_no"`
	InquiryAgreedAt  time.Time `json:"inquiry_agreed_at"`
	TransferAgreed   bool      `json:"transfer_agreed"`
	TransferAgreedAt time.Time `json:"transfer_agreed_at,omitzero"`
	Cancelled        bool      `json:"cancelled"`
}

type regKey struct{ accountID, clientID string }

// account is an Account with its history.
type account struct {
	Account
	created time.Time
	txns    []Transaction
}

// balance returns the current balance.
func (a *account) balance() int64 {
	if n := len(a.txns); n > 0 {
		return a.txns[n-1].AfterBalance
	}
	return a.Balance
}

// AddInstitution registers an institution and returns it with the
// generated fields filled in: ClientID and ClientSecret (UUIDs) and
// ClientUseCode ("M" + the clock's year + 5 digits) when empty, and Scopes
// ["login","inquiry","transfer"] when empty. Name is required; at most 10
// RedirectURIs, each an absolute http or https URL; Scopes may contain only
// login, inquiry and transfer. A duplicate ClientID or ClientUseCode is an
// error.
func (s *Server) AddInstitution(in Institution) (Institution, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	fail := func(format string, a ...any) (Institution, error) {
		return Institution{}, fmt.Errorf("testbed: add institution: "+format, a...)
	}
	if in.Name == "" {
		return fail("name is required")
	}
	if in.ClientID == "" {
		in.ClientID = newUUID()
	} else if !reClientID.MatchString(in.ClientID) {
		return fail("client_id %q must be 1 to 100 URL-safe characters", in.ClientID)
	}
	if _, dup := st.institutions[in.ClientID]; dup {
		return fail("client_id %q already registered", in.ClientID)
	}
	if in.ClientSecret == "" {
		in.ClientSecret = newUUID()
	}
	if in.ClientUseCode == "" {
		year := s.clock.Now().In(kst).Year()
		for {
			st.nextUseCode++
			in.ClientUseCode = fmt.Sprintf("M%04d%05d", year, st.nextUseCode%100000)
			if _, dup := st.useCodes[in.ClientUseCode]; !dup {
				break
			}
		}
	} else if !reClientUse.MatchString(in.ClientUseCode) {
		return fail("client_use_code %q must be a capital letter and 9 digits, e.g. M202600001", in.ClientUseCode)
	}
	if _, dup := st.useCodes[in.ClientUseCode]; dup {
		return fail("client_use_code %q already registered", in.ClientUseCode)
	}
	if len(in.RedirectURIs) > 10 {
		return fail("at most 10 redirect_uris, got %d", len(in.RedirectURIs))
	}
	for _, raw := range in.RedirectURIs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			return fail("redirect_uri %q must be an absolute http or https URL without fragment", raw)
		}
	}
	if len(in.Scopes) == 0 {
		in.Scopes = []string{"login", "inquiry", "transfer"}
	}
	for _, sc := range in.Scopes {
		if !slices.Contains(userScopes, sc) {
			return fail("unknown scope %q (want login, inquiry or transfer)", sc)
		}
	}
	in.RedirectURIs = slices.Clone(in.RedirectURIs)
	in.Scopes = slices.Clone(in.Scopes)
	stored := in
	st.institutions[in.ClientID] = &stored
	st.instOrder = append(st.instOrder, in.ClientID)
	st.useCodes[in.ClientUseCode] = in.ClientID
	return cloneInstitution(in), nil
}

func cloneInstitution(in Institution) Institution {
	in.RedirectURIs = slices.Clone(in.RedirectURIs)
	in.Scopes = slices.Clone(in.Scopes)
	return in
}

// Institutions returns the registered institutions in registration order.
func (s *Server) Institutions() []Institution {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Institution, 0, len(s.st.instOrder))
	for _, id := range s.st.instOrder {
		out = append(out, cloneInstitution(*s.st.institutions[id]))
	}
	return out
}

// AddUser registers a test user and returns it with a generated 10-digit
// UserSeqNo and an 88-character CI when those are empty. Name is required;
// a duplicate UserSeqNo is an error.
func (s *Server) AddUser(u User) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	if u.Name == "" {
		return User{}, errors.New("testbed: add user: name is required")
	}
	if u.UserSeqNo == "" {
		for {
			st.nextUserSeq++
			u.UserSeqNo = fmt.Sprintf("11%08d", st.nextUserSeq)
			if _, dup := st.users[u.UserSeqNo]; !dup {
				break
			}
		}
	} else if !reDigits10.MatchString(u.UserSeqNo) {
		return User{}, fmt.Errorf("testbed: add user: user_seq_no %q must be 10 digits", u.UserSeqNo)
	}
	if _, dup := st.users[u.UserSeqNo]; dup {
		return User{}, fmt.Errorf("testbed: add user: user_seq_no %q already registered", u.UserSeqNo)
	}
	if u.CI == "" {
		u.CI = randomCI()
	}
	stored := u
	st.users[u.UserSeqNo] = &stored
	st.userOrder = append(st.userOrder, u.UserSeqNo)
	return u, nil
}

// randomCI returns an 88-character base64 string shaped like a real CI
// (연계정보).
func randomCI() string {
	return base64.StdEncoding.EncodeToString([]byte(randomString(64, alnumMixed)))
}

// fixedCI returns a deterministic CI derived from seed.
func fixedCI(seed string) string {
	sum := sha512.Sum512([]byte(seed))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Users returns the test users in registration order.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.st.userOrder))
	for _, id := range s.st.userOrder {
		out = append(out, *s.st.users[id])
	}
	return out
}

// AddAccount registers an account of an existing user and returns it with
// the defaults filled in: a generated ID, BankName from the bank code,
// HolderName from the user, AccountType "1" and ProductName "입출금통장".
func (s *Server) AddAccount(a Account) (Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	fail := func(format string, args ...any) (Account, error) {
		return Account{}, fmt.Errorf("testbed: add account: "+format, args...)
	}
	u, ok := st.users[a.UserSeqNo]
	if !ok {
		return fail("user_seq_no %q: %w", a.UserSeqNo, ErrNotFound)
	}
	if a.ID == "" {
		for {
			st.nextAccountID++
			a.ID = fmt.Sprintf("acct-%04d", st.nextAccountID)
			if _, dup := st.accounts[a.ID]; !dup {
				break
			}
		}
	} else if !reAccountID.MatchString(a.ID) {
		return fail("id %q must be 1 to 64 letters, digits, '-' or '_'", a.ID)
	}
	if _, dup := st.accounts[a.ID]; dup {
		return fail("id %q already exists", a.ID)
	}
	if !reBankCode.MatchString(a.BankCodeStd) {
		return fail("bank_code_std %q must be 3 digits", a.BankCodeStd)
	}
	if a.BankName == "" {
		a.BankName = bankNames[a.BankCodeStd]
		if a.BankName == "" {
			return fail("bank_code_std %q is not in the table; give bank_name", a.BankCodeStd)
		}
	}
	if !reAccountNum.MatchString(a.AccountNum) || digitCount(a.AccountNum) < 6 || len(a.AccountNum) > 30 {
		return fail("account_num %q must be 6 or more digits, optionally separated by '-'", a.AccountNum)
	}
	for _, other := range st.accounts {
		if other.BankCodeStd == a.BankCodeStd && other.AccountNum == a.AccountNum {
			return fail("account %s %s already exists", a.BankCodeStd, a.AccountNum)
		}
	}
	if a.HolderName == "" {
		a.HolderName = u.Name
	}
	if a.ProductName == "" {
		a.ProductName = "입출금통장"
	}
	switch a.AccountType {
	case "":
		a.AccountType = "1"
	case "1", "2", "6", "T":
	default:
		return fail("account_type %q must be 1, 2, 6 or T", a.AccountType)
	}
	st.accounts[a.ID] = &account{Account: a, created: s.clock.Now()}
	st.accountOrder = append(st.accountOrder, a.ID)
	return a, nil
}

func digitCount(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// Accounts returns the accounts in registration order. Balance is the
// opening balance; see Transactions for the history.
func (s *Server) Accounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Account, 0, len(s.st.accountOrder))
	for _, id := range s.st.accountOrder {
		out = append(out, s.st.accounts[id].Account)
	}
	return out
}

// Post appends a transaction to the account's history and returns it with
// its sequence number and running balance. History is append-only: At
// (truncated to the second) may not be earlier than the account's latest
// transaction, nor later than the clock's now. PrintContent may have at
// most 20 characters. A withdrawal may make the balance negative.
func (s *Server) Post(accountID string, p Posting) (Transaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(format string, args ...any) (Transaction, error) {
		return Transaction{}, fmt.Errorf("testbed: post to account %q: "+format, append([]any{accountID}, args...)...)
	}
	a, ok := s.st.accounts[accountID]
	if !ok {
		return fail("%w", ErrNotFound)
	}
	now := s.clock.Now()
	var sign int64
	switch p.InoutType {
	case "입금":
		sign = 1
		if p.TranType == "" {
			p.TranType = "타행환"
		}
	case "출금":
		sign = -1
		if p.TranType == "" {
			p.TranType = "대체"
		}
	default:
		return fail("inout_type %q must be 입금 or 출금", p.InoutType)
	}
	if p.Amount <= 0 {
		return fail("amount %d must be positive", p.Amount)
	}
	if n := utf8.RuneCountInString(p.PrintContent); n > maxPrintContent || !utf8.ValidString(p.PrintContent) {
		return fail("print_content must be valid UTF-8 of at most %d characters, got %d", maxPrintContent, n)
	}
	if utf8.RuneCountInString(p.TranType) > maxPrintContent || utf8.RuneCountInString(p.BranchName) > maxPrintContent {
		return fail("tran_type and branch_name may have at most %d characters", maxPrintContent)
	}
	at := p.At
	if at.IsZero() {
		at = now
	}
	at = at.In(kst).Truncate(time.Second)
	if at.After(now) {
		return fail("at %s is after the clock's now %s", at.Format(time.RFC3339), now.In(kst).Format(time.RFC3339))
	}
	if n := len(a.txns); n > 0 && at.Before(a.txns[n-1].At) {
		return fail("at %s is before the latest transaction at %s (history is append-only)",
			at.Format(time.RFC3339), a.txns[n-1].At.Format(time.RFC3339))
	}
	bal := a.balance()
	delta := sign * p.Amount
	if (delta > 0 && bal > math.MaxInt64-delta) || (delta < 0 && bal < math.MinInt64-delta) {
		return fail("balance would overflow")
	}
	t := Transaction{
		Seq:          int64(len(a.txns)) + 1,
		At:           at,
		InoutType:    p.InoutType,
		TranType:     p.TranType,
		PrintContent: p.PrintContent,
		BranchName:   p.BranchName,
		Amount:       p.Amount,
		AfterBalance: bal + delta,
	}
	a.txns = append(a.txns, t)
	return t, nil
}

// Transactions returns the account's history, oldest first.
func (s *Server) Transactions(accountID string) ([]Transaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.st.accounts[accountID]
	if !ok {
		return nil, fmt.Errorf("testbed: transactions of account %q: %w", accountID, ErrNotFound)
	}
	return slices.Clone(a.txns), nil
}

// Registrations returns every (account, institution) registration, ordered
// by fintech_use_num.
func (s *Server) Registrations() []Registration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Registration, 0, len(s.st.regsByNum))
	for _, r := range s.st.regsByNum {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Registration) int { return cmp.Compare(a.FintechUseNum, b.FintechUseNum) })
	return out
}

// CancelRegistration cancels the registration with the given
// fintech_use_num: account/list shows it with account_state "09" only when
// include_cancel_yn=Y, and inquiries with it answer A0304. A later consent
// to the same account by the same institution reactivates it with the same
// number.
func (s *Server) CancelRegistration(fintechUseNum string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.st.regsByNum[fintechUseNum]
	if !ok {
		return fmt.Errorf("testbed: cancel registration %q: %w", fintechUseNum, ErrNotFound)
	}
	r.Cancelled = true
	return nil
}

// register records (or renews) the consent of the account's owner for the
// institution and returns the registration. The caller holds s.mu.
func (st *state) register(a *account, in *Institution, transfer bool, now time.Time) *Registration {
	key := regKey{a.ID, in.ClientID}
	r, ok := st.regs[key]
	if !ok {
		st.regCounter++
		r = &Registration{
			// bank code (3) + the client_use_code's digits (9) + a serial (12).
			FintechUseNum: a.BankCodeStd + in.ClientUseCode[1:] + fmt.Sprintf("%012d", st.regCounter),
			AccountID:     a.ID,
			ClientID:      in.ClientID,
			ClientUseCode: in.ClientUseCode,
			UserSeqNo:     a.UserSeqNo,
		}
		st.regs[key] = r
		st.regsByNum[r.FintechUseNum] = r
	}
	now = now.In(kst)
	r.InquiryAgreedAt = now
	r.Cancelled = false
	if transfer {
		r.TransferAgreed = true
		r.TransferAgreedAt = now
	}
	return r
}

// MaskedNum returns the account number as account_num_masked shows it
// ("3333-01-2345***"), for printing without the full number.
func (a Account) MaskedNum() string { return maskAccountNum(a.AccountNum) }

// maskAccountNum replaces the last three digits of an account number with
// '*', keeping separators: "3333-01-2345678" → "3333-01-2345***".
func maskAccountNum(num string) string {
	b := []byte(num)
	masked := 0
	for i := len(b) - 1; i >= 0 && masked < 3; i-- {
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = '*'
			masked++
		}
	}
	return string(b)
}

// formatAmount renders won as the wire wants it.
func formatAmount(v int64, numeric bool) any {
	if numeric {
		return v
	}
	return strconv.FormatInt(v, 10)
}
