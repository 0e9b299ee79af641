package openbanking

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"TokenExpired", &Error{Op: opTransactions, RspCode: "O0003"}, ClassTokenExpired},
		{"TokenRejected", &Error{Op: opBalance, RspCode: "O0002"}, ClassRelink},
		{"RateLimited", &Error{Op: opBalance, RspCode: "O0008"}, ClassRateLimited},
		{"RateLimited2", &Error{Op: opBalance, RspCode: "O0009"}, ClassRateLimited},
		{"BankError", &Error{Op: opBalance, RspCode: "A0002", BankRspCode: "999"}, ClassTransient},
		{"Maintenance", &Error{Op: opBalance, RspCode: "A0002", BankRspCode: "551"}, ClassTransient},
		{"Internal", &Error{Op: opBalance, RspCode: "A0003"}, ClassTransient},
		{"ProcessingTimeout", &Error{Op: opBalance, RspCode: "A0007"}, ClassTransient},
		{"SimulationTimeout", &Error{Op: opBalance, RspCode: "A0015"}, ClassTransient},
		{"Format", &Error{Op: opBalance, RspCode: "A0004"}, ClassPermanent},
		{"Duplicate", &Error{Op: opBalance, RspCode: "A0008"}, ClassPermanent},
		{"NotOwned", &Error{Op: opBalance, RspCode: "A0304"}, ClassPermanent},
		{"Scope", &Error{Op: opBalance, RspCode: "O0011"}, ClassPermanent},
		{"AuthParam", &Error{Op: opToken, RspCode: "O0001"}, ClassPermanent},
		{"BankRefusalWithA0000", &Error{Op: opBalance, RspCode: "A0000", BankRspCode: "412"}, ClassPermanent},
		{"RefreshRefused", &Error{Op: opRefresh, RspCode: "O0001"}, ClassRelink},
		{"RefreshRejected", &Error{Op: opRefresh, RspCode: "O0002"}, ClassRelink},
		{"RefreshExpired", &Error{Op: opRefresh, RspCode: "O0003"}, ClassRelink},
		{"RefreshTransient", &Error{Op: opRefresh, HTTPStatus: 503}, ClassTransient},
		{"HTTP500", &Error{Op: opBalance, HTTPStatus: 500}, ClassTransient},
		{"HTTP429", &Error{Op: opBalance, HTTPStatus: 429}, ClassTransient},
		{"HTTP404", &Error{Op: opBalance, HTTPStatus: 404}, ClassPermanent},
		{"ConnReset", &Error{Op: opBalance, Err: syscall.ECONNRESET}, ClassTransient},
		{"ConnRefused", &Error{Op: opBalance, Err: &net.OpError{Op: "dial", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}, ClassTransient},
		{"UnexpectedEOF", &Error{Op: opBalance, Err: io.ErrUnexpectedEOF}, ClassTransient},
		{"EOF", &Error{Op: opBalance, Err: io.EOF}, ClassTransient},
		{"ConnLost", &Error{Op: opTransactions, Err: &connLostError{errors.New("http: server closed idle connection")}}, ClassTransient},
		{"ConnLostWrapped", fmt.Errorf("sync: %w", &Error{Op: opBalance, Err: &connLostError{errors.New("http2: client connection lost")}}), ClassTransient},
		{"Deadline", &Error{Op: opBalance, Err: context.DeadlineExceeded}, ClassTransient},
		{"Canceled", &Error{Op: opBalance, Err: context.Canceled}, ClassPermanent},
		{"DecodeError", &Error{Op: opBalance, HTTPStatus: 200, Err: errors.New("decode response: bad")}, ClassPermanent},
		{"Wrapped", fmt.Errorf("sync: %w", &Error{Op: opBalance, RspCode: "O0003"}), ClassTokenExpired},
		{"PlainTimeout", timeoutErr{}, ClassTransient},
		{"Plain", errors.New("boom"), ClassPermanent},
		{"Nil", nil, ClassPermanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"RspCode", &Error{Op: "balance", HTTPStatus: 200, RspCode: "O0003", RspMessage: "Access Token 만료"},
			"openbanking: balance: O0003 Access Token 만료"},
		{"BankCode", &Error{Op: "transaction_list", HTTPStatus: 200, RspCode: "A0002", RspMessage: "참가기관 에러", BankRspCode: "551", BankRspMessage: "은행 점검시간"},
			"openbanking: transaction_list: A0002 참가기관 에러 (bank 551 은행 점검시간)"},
		{"HTTPStatus", &Error{Op: "balance", HTTPStatus: 500}, "openbanking: balance: http status 500"},
		{"Transport", &Error{Op: "token", Err: io.ErrUnexpectedEOF}, "openbanking: token: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsMaintenance(t *testing.T) {
	if !IsMaintenance(fmt.Errorf("x: %w", &Error{RspCode: "A0002", BankRspCode: "551"})) {
		t.Error("A0002/551 is not maintenance")
	}
	if IsMaintenance(&Error{RspCode: "A0002", BankRspCode: "999"}) {
		t.Error("A0002/999 is maintenance")
	}
	if IsMaintenance(errors.New("x")) {
		t.Error("plain error is maintenance")
	}
}
