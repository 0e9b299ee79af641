package openbanking

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// InquiryType selects which transactions a list contains.
type InquiryType string

// Inquiry types of account/transaction_list.
const (
	InquiryAll         InquiryType = "A"
	InquiryDeposits    InquiryType = "I"
	InquiryWithdrawals InquiryType = "O"
)

// TransactionQuery is the filter of a transaction list.
type TransactionQuery struct {
	// FintechUseNum identifies the account.
	FintechUseNum string
	// Type selects deposits, withdrawals or both; empty means InquiryAll.
	Type InquiryType
	// From and To bound the list, inclusive, in KST. Unless ByTime is set only
	// their dates count (inquiry_base=D).
	From, To time.Time
	// ByTime asks for the exact window From..To to the second
	// (inquiry_base=T), which may cross midnight.
	ByTime bool
	// Descending lists newest first (sort_order=D); the default is oldest
	// first (sort_order=A).
	Descending bool
	// MaxPages bounds how many pages Transactions fetches; 0 means 400
	// (10,000 rows).
	MaxPages int
}

func (q TransactionQuery) validate() error {
	if q.FintechUseNum == "" {
		return errors.New("fintech use num is empty")
	}
	switch q.Type {
	case "", InquiryAll, InquiryDeposits, InquiryWithdrawals:
	default:
		return fmt.Errorf("inquiry type %q is not A, I or O", q.Type)
	}
	if q.From.IsZero() || q.To.IsZero() {
		return errors.New("from and to are required")
	}
	if q.To.Before(q.From) {
		return errors.New("to is before from")
	}
	return nil
}

// Transaction is one row of a transaction list (거래내역). KFTC gives rows no
// identifier: the same row comes back in every overlapping query, and two
// genuinely identical rows can exist. Tell them apart by position and the
// AfterBalance chain, never by content alone.
type Transaction struct {
	// Date (YYYYMMDD) and Time (hhmmss) as sent; At is the same instant in KST.
	Date, Time string
	At         time.Time
	// InoutType is 입금 (deposit) or 출금 (withdrawal); some banks send 지급
	// or 기타.
	InoutType string
	// TranType is e.g. 현금, 대체, 타행환.
	TranType string
	// PrintContent is what the bankbook prints (통장인자내용): for a deposit,
	// usually the sender's name or the text the sender typed.
	PrintContent string
	// Amount is the transaction amount in won as sent (some banks send
	// withdrawals as negative amounts).
	Amount int64
	// AfterBalance is the account balance after this transaction.
	AfterBalance int64
	// BranchName is the branch, often empty.
	BranchName string
}

// IsDeposit reports whether the row is money coming in.
func (t Transaction) IsDeposit() bool { return t.InoutType == "입금" }

func decodeTransaction(o object) (Transaction, error) {
	var t Transaction
	if err := o.strs(
		textField{"tran_date", &t.Date},
		textField{"tran_time", &t.Time},
		textField{"inout_type", &t.InoutType},
		textField{"tran_type", &t.TranType},
		textField{"print_content", &t.PrintContent},
		textField{"branch_name", &t.BranchName},
	); err != nil {
		return Transaction{}, err
	}
	if t.PrintContent == "" {
		// The official sample spells the memo field printed_content.
		s, err := o.str("printed_content")
		if err != nil {
			return Transaction{}, err
		}
		t.PrintContent = s
	}
	at, err := time.ParseInLocation("20060102150405", t.Date+t.Time, kst)
	if err != nil {
		return Transaction{}, fmt.Errorf("tran_date/tran_time %q %q: not a valid date and time", t.Date, t.Time)
	}
	t.At = at
	if t.Amount, err = o.requiredAmount("tran_amt"); err != nil {
		return Transaction{}, err
	}
	if t.AfterBalance, err = o.requiredAmount("after_balance_amt"); err != nil {
		return Transaction{}, err
	}
	return t, nil
}

// TransactionPage is one page of account/transaction_list/fin_num.
type TransactionPage struct {
	APITranID     string
	BankTranID    string
	BankName      string
	FintechUseNum string
	// BalanceAmt is the account's current balance; BalanceKnown is false when
	// the answer did not carry one (an A0018 "no transactions" answer may not).
	BalanceAmt   int64
	BalanceKnown bool
	// Rows are the transactions of this page, in the requested order.
	Rows []Transaction
	// NextPage reports that more rows follow; pass TraceInfo to the next call.
	NextPage  bool
	TraceInfo string
	// BankTime is when the service answered, by its own clock (api_tran_dtm),
	// in KST; zero when the answer did not carry a readable one.
	BankTime time.Time
}

// TransactionPage fetches one page of an account's transactions
// (GET /v2.0/account/transaction_list/fin_num). trace is "" for the first page
// and the previous page's TraceInfo (befor_inquiry_trace_info) afterwards.
func (c *Client) TransactionPage(ctx context.Context, accessToken string, q TransactionQuery, trace string) (TransactionPage, error) {
	if err := q.validate(); err != nil {
		return TransactionPage{}, &Error{Op: opTransactions, Err: err}
	}
	var p TransactionPage
	err := c.inquire(ctx, opTransactions, accessToken, "/v2.0/account/transaction_list/fin_num", true,
		func(ctx context.Context, now time.Time) (url.Values, error) {
			id, err := c.newBankTranID(ctx, now)
			if err != nil {
				return nil, err
			}
			return q.values(id, now, trace), nil
		},
		func(o object, h header) error {
			var err error
			p, err = decodePage(o, h)
			return err
		})
	return p, err
}

func (q TransactionQuery) values(bankTranID string, now time.Time, trace string) url.Values {
	typ := q.Type
	if typ == "" {
		typ = InquiryAll
	}
	from, to := q.From.In(kst), q.To.In(kst)
	v := url.Values{
		"bank_tran_id":    {bankTranID},
		"fintech_use_num": {q.FintechUseNum},
		"inquiry_type":    {string(typ)},
		"inquiry_base":    {"D"},
		"from_date":       {from.Format("20060102")},
		"to_date":         {to.Format("20060102")},
		"sort_order":      {ad(!q.Descending)},
		"tran_dtime":      {now.In(kst).Format("20060102150405")},
	}
	if q.ByTime {
		v.Set("inquiry_base", "T")
		v.Set("from_time", from.Format("150405"))
		v.Set("to_time", to.Format("150405"))
	}
	if trace != "" {
		v.Set("befor_inquiry_trace_info", trace)
	}
	return v
}

func decodePage(o object, h header) (TransactionPage, error) {
	p := TransactionPage{APITranID: h.APITranID, BankTranID: h.BankTranID, BankTime: parseAPITranDtm(h.APITranDtm)}
	var next string
	if err := o.strs(
		textField{"bank_name", &p.BankName},
		textField{"fintech_use_num", &p.FintechUseNum},
		textField{"next_page_yn", &next},
		textField{"befor_inquiry_trace_info", &p.TraceInfo},
	); err != nil {
		return TransactionPage{}, err
	}
	var err error
	if p.BalanceAmt, p.BalanceKnown, err = o.amount("balance_amt"); err != nil {
		return TransactionPage{}, err
	}
	if h.RspCode == CodeNoTransactions {
		return p, nil
	}
	switch next {
	case "Y":
		p.NextPage = true
	case "N", "":
	default:
		return TransactionPage{}, fmt.Errorf("field next_page_yn: %q is not Y or N", next)
	}
	items, err := o.list("res_list")
	if err != nil {
		return TransactionPage{}, err
	}
	p.Rows = make([]Transaction, 0, len(items))
	for i, item := range items {
		t, err := decodeTransaction(item)
		if err != nil {
			return TransactionPage{}, fmt.Errorf("res_list[%d]: %w", i, err)
		}
		p.Rows = append(p.Rows, t)
	}
	if cnt, ok, err := o.amount("page_record_cnt"); err != nil {
		return TransactionPage{}, err
	} else if ok && cnt != int64(len(p.Rows)) {
		return TransactionPage{}, fmt.Errorf("field page_record_cnt: %d, but res_list has %d rows", cnt, len(p.Rows))
	}
	if p.NextPage && p.TraceInfo == "" {
		return TransactionPage{}, errors.New("next_page_yn is Y without befor_inquiry_trace_info")
	}
	return p, nil
}

// TransactionList is every row of a query, gathered over all pages.
type TransactionList struct {
	// Rows in the requested order.
	Rows []Transaction
	// BalanceAmt is the balance reported with the first page that carried one.
	BalanceAmt   int64
	BalanceKnown bool
	// Pages is the number of calls made.
	Pages int
	// BankTime is the service's clock (api_tran_dtm) on the last page read:
	// the list holds what the bank had listed by then. Zero when no page
	// carried a readable time.
	BankTime time.Time
}

// ErrPageLimit is wrapped by the error of a Transactions call that stopped at
// its page bound (TransactionQuery.MaxPages): the rows read so far, a
// contiguous run from the start of the query in its order, come with it.
var ErrPageLimit = errors.New("page limit reached")

// parseAPITranDtm reads api_tran_dtm (YYYYMMDDhhmmssSSS, KST). A missing or
// malformed value yields the zero time: the field is informative.
func parseAPITranDtm(s string) time.Time {
	s = strings.TrimSpace(s)
	if len(s) < 14 {
		return time.Time{}
	}
	layout := "20060102150405"
	if len(s) == 17 {
		layout = "20060102150405.000"
		s = s[:14] + "." + s[14:]
	}
	t, err := time.ParseInLocation(layout, s, kst)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Transactions fetches every page of a query, following befor_inquiry_trace_info
// until next_page_yn is N. Each page is one API call with its own bank_tran_id.
// It stops with an error after q.MaxPages pages or when the service repeats a
// cursor. On error the rows gathered so far are returned with it.
func (c *Client) Transactions(ctx context.Context, accessToken string, q TransactionQuery) (TransactionList, error) {
	return collectPages(q.MaxPages, func(trace string) (TransactionPage, error) {
		return c.TransactionPage(ctx, accessToken, q, trace)
	})
}

// collectPages calls fetch for the first page and then once per cursor until a
// page says there are no more, at most maxPages times (0 means 400).
func collectPages(maxPages int, fetch func(trace string) (TransactionPage, error)) (TransactionList, error) {
	if maxPages <= 0 {
		maxPages = 400
	}
	var list TransactionList
	trace := ""
	seen := map[string]bool{}
	for {
		p, err := fetch(trace)
		if err != nil {
			return list, err
		}
		list.Pages++
		list.Rows = append(list.Rows, p.Rows...)
		if !p.BankTime.IsZero() {
			list.BankTime = p.BankTime
		}
		if p.BalanceKnown && !list.BalanceKnown {
			list.BalanceAmt, list.BalanceKnown = p.BalanceAmt, true
		}
		if !p.NextPage {
			return list, nil
		}
		if seen[p.TraceInfo] {
			return list, &Error{Op: opTransactions, Err: fmt.Errorf("page %d: cursor %s repeated", list.Pages, strconv.Quote(p.TraceInfo))}
		}
		if list.Pages >= maxPages {
			return list, &Error{Op: opTransactions, Err: fmt.Errorf("more than %d pages: %w", maxPages, ErrPageLimit)}
		}
		seen[p.TraceInfo] = true
		trace = p.TraceInfo
	}
}
