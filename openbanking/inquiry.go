package openbanking

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Account is one registered account as account/list and user/me describe it.
type Account struct {
	FintechUseNum      string
	AccountAlias       string
	BankCodeStd        string
	BankCodeSub        string
	BankName           string
	SavingsBankName    string
	AccountNumMasked   string
	AccountSeq         string
	AccountHolderName  string
	AccountHolderType  string
	AccountType        string
	InquiryAgreeYN     string
	InquiryAgreeDtime  string
	TransferAgreeYN    string
	TransferAgreeDtime string
	AccountState       string
	PayerNum           string // user/me only
}

func decodeAccount(o object) (Account, error) {
	var a Account
	err := o.strs(
		textField{"fintech_use_num", &a.FintechUseNum},
		textField{"account_alias", &a.AccountAlias},
		textField{"bank_code_std", &a.BankCodeStd},
		textField{"bank_code_sub", &a.BankCodeSub},
		textField{"bank_name", &a.BankName},
		textField{"savings_bank_name", &a.SavingsBankName},
		textField{"account_num_masked", &a.AccountNumMasked},
		textField{"account_seq", &a.AccountSeq},
		textField{"account_holder_name", &a.AccountHolderName},
		textField{"account_holder_type", &a.AccountHolderType},
		textField{"account_type", &a.AccountType},
		textField{"inquiry_agree_yn", &a.InquiryAgreeYN},
		textField{"inquiry_agree_dtime", &a.InquiryAgreeDtime},
		textField{"transfer_agree_yn", &a.TransferAgreeYN},
		textField{"transfer_agree_dtime", &a.TransferAgreeDtime},
		textField{"account_state", &a.AccountState},
		textField{"payer_num", &a.PayerNum},
	)
	return a, err
}

func decodeAccounts(o object) ([]Account, error) {
	items, err := o.list("res_list")
	if err != nil {
		return nil, err
	}
	out := make([]Account, 0, len(items))
	for i, item := range items {
		a, err := decodeAccount(item)
		if err != nil {
			return nil, fmt.Errorf("res_list[%d]: %w", i, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// UserInfo is the answer of user/me.
type UserInfo struct {
	APITranID string
	UserSeqNo string
	UserCI    string
	UserName  string
	Accounts  []Account
}

// UserMe returns the user's details and registered accounts
// (GET /v2.0/user/me).
func (c *Client) UserMe(ctx context.Context, accessToken, userSeqNo string) (UserInfo, error) {
	var info UserInfo
	err := c.inquire(ctx, opUserMe, accessToken, "/v2.0/user/me", false,
		func(context.Context, time.Time) (url.Values, error) {
			return url.Values{"user_seq_no": {userSeqNo}}, nil
		},
		func(o object, h header) error {
			info = UserInfo{APITranID: h.APITranID}
			if err := o.strs(
				textField{"user_seq_no", &info.UserSeqNo},
				textField{"user_ci", &info.UserCI},
				textField{"user_name", &info.UserName},
			); err != nil {
				return err
			}
			var err error
			info.Accounts, err = decodeAccounts(o)
			return err
		})
	return info, err
}

// AccountListOptions are the filters of account/list.
type AccountListOptions struct {
	// IncludeCancelled lists cancelled registrations too (include_cancel_yn=Y).
	IncludeCancelled bool
	// Ascending sorts by agreement time oldest first (sort_order=A); the
	// default is newest first.
	Ascending bool
}

// AccountList is the answer of account/list.
type AccountList struct {
	APITranID string
	UserName  string
	Accounts  []Account
}

// AccountList lists the accounts the user registered with this institution
// (GET /v2.0/account/list).
func (c *Client) AccountList(ctx context.Context, accessToken, userSeqNo string, opts AccountListOptions) (AccountList, error) {
	var list AccountList
	err := c.inquire(ctx, opAccountList, accessToken, "/v2.0/account/list", false,
		func(context.Context, time.Time) (url.Values, error) {
			return url.Values{
				"user_seq_no":       {userSeqNo},
				"include_cancel_yn": {yn(opts.IncludeCancelled)},
				"sort_order":        {ad(opts.Ascending)},
			}, nil
		},
		func(o object, h header) error {
			list = AccountList{APITranID: h.APITranID}
			if err := o.strs(textField{"user_name", &list.UserName}); err != nil {
				return err
			}
			var err error
			list.Accounts, err = decodeAccounts(o)
			return err
		})
	return list, err
}

// Balance is the answer of account/balance/fin_num.
type Balance struct {
	APITranID        string
	BankTranID       string
	BankName         string
	SavingsBankName  string
	FintechUseNum    string
	BalanceAmt       int64
	AvailableAmt     int64
	AccountType      string
	ProductName      string
	AccountIssueDate string
	MaturityDate     string
	LastTranDate     string
}

// Balance returns an account's balance
// (GET /v2.0/account/balance/fin_num).
func (c *Client) Balance(ctx context.Context, accessToken, fintechUseNum string) (Balance, error) {
	var b Balance
	err := c.inquire(ctx, opBalance, accessToken, "/v2.0/account/balance/fin_num", true,
		func(ctx context.Context, now time.Time) (url.Values, error) {
			id, err := c.newBankTranID(ctx, now)
			if err != nil {
				return nil, err
			}
			return url.Values{
				"bank_tran_id":    {id},
				"fintech_use_num": {fintechUseNum},
				"tran_dtime":      {now.In(kst).Format("20060102150405")},
			}, nil
		},
		func(o object, h header) error {
			b = Balance{APITranID: h.APITranID, BankTranID: h.BankTranID}
			if err := o.strs(
				textField{"bank_name", &b.BankName},
				textField{"savings_bank_name", &b.SavingsBankName},
				textField{"fintech_use_num", &b.FintechUseNum},
				textField{"account_type", &b.AccountType},
				textField{"product_name", &b.ProductName},
				textField{"account_issue_date", &b.AccountIssueDate},
				textField{"maturity_date", &b.MaturityDate},
				textField{"last_tran_date", &b.LastTranDate},
			); err != nil {
				return err
			}
			var err error
			if b.BalanceAmt, err = o.requiredAmount("balance_amt"); err != nil {
				return err
			}
			b.AvailableAmt, _, err = o.amount("available_amt")
			return err
		})
	return b, err
}

// inquire performs one inquiry API call with retries. params builds the query
// for each attempt (so that every attempt carries a new bank_tran_id); decode
// reads a successful answer.
func (c *Client) inquire(ctx context.Context, op, accessToken, path string, bankRelayed bool,
	params func(ctx context.Context, now time.Time) (url.Values, error),
	decode func(o object, h header) error,
) error {
	if accessToken == "" {
		return &Error{Op: op, Err: errors.New("no access token")}
	}
	return c.withRetry(ctx, func(ctx context.Context) error {
		q, err := params(ctx, c.now())
		if err != nil {
			return &Error{Op: op, Err: err}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(path)+"?"+q.Encode(), nil)
		if err != nil {
			return &Error{Op: op, Err: stripURL(err)}
		}
		req.Header.Set("Authorization", "Bearer "+accessToken)
		if bankRelayed {
			forbidResend(req)
		}
		o, err := c.send(ctx, op, req)
		if err != nil {
			return err
		}
		h, err := o.header()
		if err != nil {
			return &Error{Op: op, HTTPStatus: http.StatusOK, Err: err}
		}
		// A0018 거래내역 없음 is an empty list, not a failure; the decoder
		// sees the header and reads whatever else the answer carries.
		noRows := op == opTransactions && h.RspCode == CodeNoTransactions
		if err := checkRsp(op, h, bankRelayed); err != nil && !noRows {
			return err
		}
		if err := decode(o, h); err != nil {
			return &Error{Op: op, HTTPStatus: http.StatusOK, Err: err}
		}
		return nil
	})
}

// forbidResend stops net/http from sending req a second time by itself.
//
// http.Transport silently resends an idempotent request on a new connection
// when a reused keep-alive connection closes before any response arrives. The
// bank may have processed the request already and consumed its bank_tran_id,
// so the resend would answer A0008 (a permanent error), and it would be a
// second billed call that no RoundTripper in front of the transport sees: the
// caller's call count would be one short.
//
// The Transport documents that it retries only requests that have no body or
// a GetBody; req gets an empty body without GetBody. An empty body is sent as
// none at all: the HTTP/1 Transport reads it before writing, finds it empty at
// once, and sends a plain GET without Content-Length or Transfer-Encoding.
// The broken connection then comes back as a transient error (see send), and
// withRetry repeats the call with a new bank_tran_id through the caller's
// http.Client, so every call that can have reached the bank passes the
// caller's transport once.
func forbidResend(req *http.Request) {
	req.Body = io.NopCloser(strings.NewReader(""))
	req.GetBody = nil
	req.ContentLength = 0
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

func ad(ascending bool) string {
	if ascending {
		return "A"
	}
	return "D"
}
