package openbanking

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// Class is how a caller should react to an error from the client.
type Class int

const (
	// ClassPermanent errors will fail again if repeated: bad parameters, unknown
	// accounts, a rejected scope. Fix the request or tell a person.
	ClassPermanent Class = iota
	// ClassTransient errors may succeed later: bank-side and internal errors
	// (A0002, A0003, A0007, A0015), HTTP 5xx, timeouts and broken connections.
	// Retry with backoff.
	ClassTransient
	// ClassRateLimited errors (O0008, O0009) mean the usage plan is exceeded.
	// Slow down and retry later.
	ClassRateLimited
	// ClassTokenExpired (O0003) means the access token has expired: refresh it
	// and retry once.
	ClassTokenExpired
	// ClassRelink means the user's tokens are no longer usable (O0002: invalid
	// or revoked, or a refresh that the service refused). The account owner must
	// authorize again in a browser.
	ClassRelink
)

// String returns the class name as used in logs.
func (c Class) String() string {
	switch c {
	case ClassPermanent:
		return "permanent"
	case ClassTransient:
		return "transient"
	case ClassRateLimited:
		return "rate_limited"
	case ClassTokenExpired:
		return "token_expired"
	case ClassRelink:
		return "relink"
	default:
		return fmt.Sprintf("class(%d)", int(c))
	}
}

// Response codes of the KFTC contract that the client treats specially.
const (
	CodeOK                = "A0000"
	CodeOAuthOK           = "O0000" // a revoke answer may use it for success
	CodeBankError         = "A0002"
	CodeInternal          = "A0003"
	CodeFormat            = "A0004"
	CodeTimeout           = "A0007"
	CodeDuplicate         = "A0008"
	CodeSimulationTimeout = "A0015"
	CodeNoTransactions    = "A0018"
	CodeNotOwned          = "A0304"
	CodeAuthParam         = "O0001"
	CodeTokenRejected     = "O0002"
	CodeTokenExpired      = "O0003"
	CodeRateLimited       = "O0008"
	CodeRateLimited2      = "O0009"
	CodeMethodNotAllowed  = "O0010"
	CodeScopeNotAllowed   = "O0011"

	// BankCodeOK is the bank_rsp_code of a successful bank-relayed call.
	BankCodeOK = "000"
	// BankCodeMaintenance is the bank_rsp_code a bank answers during its
	// nightly maintenance window (with rsp_code A0002).
	BankCodeMaintenance = "551"
)

// Error is an error from a KFTC API call. Either the service answered with a
// response code other than success (RspCode is set), or the call failed on the way
// (HTTPStatus is not 200, or Err holds the transport or decoding error).
//
// Error strings never contain tokens, secrets or request URLs.
type Error struct {
	// Op names the API: "token", "token_refresh", "revoke", "user_me",
	// "account_list", "balance" or "transaction_list".
	Op string
	// HTTPStatus is the HTTP status code, or 0 when no response arrived.
	HTTPStatus int
	// RspCode and RspMessage are the service's response code and message.
	RspCode    string
	RspMessage string
	// BankRspCode and BankRspMessage are the participating bank's answer on
	// bank-relayed calls (balance, transaction list).
	BankRspCode    string
	BankRspMessage string
	// Err is the underlying transport or decoding error, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("openbanking: ")
	b.WriteString(e.Op)
	switch {
	case e.RspCode != "":
		fmt.Fprintf(&b, ": %s", e.RspCode)
		if e.RspMessage != "" {
			fmt.Fprintf(&b, " %s", e.RspMessage)
		}
		if e.BankRspCode != "" && e.BankRspCode != BankCodeOK {
			fmt.Fprintf(&b, " (bank %s", e.BankRspCode)
			if e.BankRspMessage != "" {
				fmt.Fprintf(&b, " %s", e.BankRspMessage)
			}
			b.WriteString(")")
		}
	case e.HTTPStatus != 0 && e.HTTPStatus != 200:
		fmt.Fprintf(&b, ": http status %d", e.HTTPStatus)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the underlying transport or decoding error.
func (e *Error) Unwrap() error { return e.Err }

// Class classifies the error; see Classify.
func (e *Error) Class() Class {
	switch e.RspCode {
	case "":
	case CodeTokenExpired:
		if e.Op == opRefresh {
			return ClassRelink
		}
		return ClassTokenExpired
	case CodeTokenRejected:
		return ClassRelink
	case CodeRateLimited, CodeRateLimited2:
		return ClassRateLimited
	case CodeBankError, CodeInternal, CodeTimeout, CodeSimulationTimeout:
		return ClassTransient
	case CodeAuthParam:
		// A refresh token that the service refuses cannot be repaired by
		// repeating the call: the owner must authorize again.
		if e.Op == opRefresh {
			return ClassRelink
		}
		return ClassPermanent
	default:
		return ClassPermanent
	}
	if e.HTTPStatus >= 500 || e.HTTPStatus == 429 {
		return ClassTransient
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != 200 {
		return ClassPermanent
	}
	if e.Err != nil {
		return classifyTransport(e.Err)
	}
	return ClassPermanent
}

// Maintenance reports whether the error is a bank's nightly maintenance answer
// (A0002 with bank_rsp_code 551). Retrying within the window is pointless.
func (e *Error) Maintenance() bool {
	return e.RspCode == CodeBankError && e.BankRspCode == BankCodeMaintenance
}

// Classify tells how a caller should react to err. Errors that are not from this
// package are classified by their cause: timeouts and broken connections are
// transient, a cancelled context is permanent. Classify(nil) is ClassPermanent;
// check for nil first.
func Classify(err error) Class {
	if err == nil {
		return ClassPermanent
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Class()
	}
	return classifyTransport(err)
}

// IsMaintenance reports whether err is a bank's nightly maintenance answer.
func IsMaintenance(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Maintenance()
}

func classifyTransport(err error) Class {
	switch {
	case errors.Is(err, context.Canceled):
		return ClassPermanent
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE):
		return ClassTransient
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return ClassTransient
	}
	if _, ok := errors.AsType[*connLostError](err); ok {
		return ClassTransient
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return ClassTransient
	}
	return ClassPermanent
}

// connLostError is a transport failure on an established connection: the
// server closed or reset it, or refused the stream, before an answer
// arrived. The request may or may not have reached the service, and the
// call is worth repeating (with a new bank_tran_id). net/http reports some
// of these with errors of no exported type ("http: server closed idle
// connection", HTTP/2's refused streams), which it used to hide by resending
// the request itself; balance and transaction-list requests are no longer
// resent (see forbidResend), so send marks such failures instead.
type connLostError struct{ err error }

func (e *connLostError) Error() string { return "connection lost: " + e.err.Error() }

func (e *connLostError) Unwrap() error { return e.err }
