package testbed_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

// rawGet calls path with the session's token using client and returns the
// response (nil on a transport error) and the error.
func (s *session) rawGet(ctx context.Context, client *http.Client, path string, q url.Values) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.srv.URL+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.tok.AccessToken)
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestFaults(t *testing.T) {
	// noReuse never reuses a connection, so the transport cannot silently
	// retry a GET whose connection was dropped.
	noReuse := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	tests := []struct {
		name  string
		fault testbed.Fault
		check func(t *testing.T, s *session)
	}{
		{"RspCode", testbed.Fault{API: "balance", RspCode: "A0007"}, func(t *testing.T, s *session) {
			q := s.balanceQuery(s.fin)
			_, m := s.get(t, pathBalance, q, s.tok.AccessToken)
			wantRsp(t, m, "A0007", "처리시간 초과")
			if m["bank_rsp_code"] != "000" || m["bank_tran_id"] != q.Get("bank_tran_id") || m["bank_code_tran"] != "097" {
				t.Errorf("bank header = %v", m)
			}
			if _, ok := m["balance_amt"]; ok {
				t.Error("faulted answer has a balance_amt")
			}
			_, m = s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0000", "")
		}},
		{"A0002DefaultsToBank999", testbed.Fault{API: "transaction_list", RspCode: "A0002"}, func(t *testing.T, s *session) {
			_, m := s.get(t, pathTx, s.txQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0002", "")
			if m["bank_rsp_code"] != "999" {
				t.Errorf("bank_rsp_code = %v, want 999", m["bank_rsp_code"])
			}
		}},
		{"BankRspCode", testbed.Fault{API: "balance", RspCode: "A0000", BankRspCode: "412"}, func(t *testing.T, s *session) {
			_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0000", "")
			if m["bank_rsp_code"] != "412" || m["bank_rsp_message"] != "해당계좌 없음" {
				t.Errorf("bank_rsp_code, message = %v, %v; want 412 해당계좌 없음", m["bank_rsp_code"], m["bank_rsp_message"])
			}
		}},
		{"RspCodeOnUserMe", testbed.Fault{API: "user_me", RspCode: "A0003"}, func(t *testing.T, s *session) {
			_, m := s.get(t, pathUserMe, url.Values{"user_seq_no": {s.user.UserSeqNo}}, s.tok.AccessToken)
			wantRsp(t, m, "A0003", "내부 처리 에러")
			if _, ok := m["bank_rsp_code"]; ok {
				t.Error("user/me fault answer has bank fields")
			}
		}},
		{"RspCodeOnToken", testbed.Fault{API: "token", RspCode: "O0007"}, func(t *testing.T, s *session) {
			_, _, body := s.postForm(t, "/oauth/2.0/token", s.refreshForm(s.tok.RefreshToken, "inquiry login"))
			wantRsp(t, decode(t, body), "O0007", "Routing 실패")
			// The refresh token was not used up by the faulted call.
			_, _, body = s.postForm(t, "/oauth/2.0/token", s.refreshForm(s.tok.RefreshToken, "inquiry login"))
			if !strings.Contains(string(body), "access_token") {
				t.Errorf("refresh after the fault: %s", body)
			}
		}},
		{"HTTP500", testbed.Fault{API: "transaction_list", HTTPStatus: 500}, func(t *testing.T, s *session) {
			resp, body, err := s.rawGet(context.Background(), s.client, pathTx, s.txQuery(s.fin))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusInternalServerError || len(body) == 0 || len(body) > 200 {
				t.Errorf("status %d, body %q; want 500 with a short body", resp.StatusCode, body)
			}
		}},
		{"HTTP503OnRevoke", testbed.Fault{API: "revoke", HTTPStatus: 503}, func(t *testing.T, s *session) {
			status, _, _ := s.postForm(t, "/oauth/2.0/revoke", url.Values{"client_id": {s.inst.ClientID},
				"client_secret": {s.inst.ClientSecret}, "access_token": {s.tok.AccessToken}})
			if status != http.StatusServiceUnavailable {
				t.Errorf("status = %d, want 503", status)
			}
		}},
		{"Delay", testbed.Fault{API: "balance", Delay: 60 * time.Millisecond}, func(t *testing.T, s *session) {
			start := time.Now()
			_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
			if elapsed := time.Since(start); elapsed < 60*time.Millisecond {
				t.Errorf("answered after %v, want at least 60ms", elapsed)
			}
			wantRsp(t, m, "A0000", "")
		}},
		{"DelayThenRspCode", testbed.Fault{API: "balance", Delay: 20 * time.Millisecond, RspCode: "A0015"}, func(t *testing.T, s *session) {
			_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0015", "")
		}},
		{"DelayHonoursContext", testbed.Fault{API: "balance", Delay: 5 * time.Second}, func(t *testing.T, s *session) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, _, err := s.rawGet(ctx, noReuse, pathBalance, s.balanceQuery(s.fin))
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want the deadline", err)
			}
			// The handler gives up with the request: the next call is not
			// queued behind a sleeping one.
			_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0000", "")
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("took %v", elapsed)
			}
		}},
		{"Drop", testbed.Fault{API: "balance", Drop: true}, func(t *testing.T, s *session) {
			resp, _, err := s.rawGet(context.Background(), noReuse, pathBalance, s.balanceQuery(s.fin))
			if err == nil {
				t.Fatalf("got status %d, want a transport error", resp.StatusCode)
			}
			_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0000", "")
		}},
		{"CountHonoured", testbed.Fault{API: "balance", Count: 2, RspCode: "A0003"}, func(t *testing.T, s *session) {
			for i, want := range []string{"A0003", "A0003", "A0000"} {
				_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
				if m["rsp_code"] != want {
					t.Errorf("call %d: rsp_code = %v, want %s", i+1, m["rsp_code"], want)
				}
			}
		}},
		{"APIFilterHonoured", testbed.Fault{API: "transaction_list", RspCode: "A0003"}, func(t *testing.T, s *session) {
			_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0000", "")
			_, m = s.get(t, pathUserMe, url.Values{"user_seq_no": {s.user.UserSeqNo}}, s.tok.AccessToken)
			wantRsp(t, m, "A0000", "")
			_, m = s.get(t, pathTx, s.txQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0003", "")
		}},
		{"AnyAPI", testbed.Fault{RspCode: "A0013", Count: 2}, func(t *testing.T, s *session) {
			_, m := s.get(t, pathUserMe, url.Values{"user_seq_no": {s.user.UserSeqNo}}, s.tok.AccessToken)
			wantRsp(t, m, "A0013", "")
			_, m = s.get(t, pathTx, s.txQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0013", "")
			_, m = s.get(t, pathTx, s.txQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0000", "")
		}},
		{"NotConsumedByRejectedCalls", testbed.Fault{API: "balance", RspCode: "A0003"}, func(t *testing.T, s *session) {
			_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), "garbled")
			wantRsp(t, m, "O0002", "")
			_, m = s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
			wantRsp(t, m, "A0003", "")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, testbed.Config{})
			if err := s.sim.InjectFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func TestFaultQueue(t *testing.T) {
	s := newSession(t, testbed.Config{})
	for _, f := range []testbed.Fault{{API: "balance", RspCode: "A0003"}, {API: "balance", RspCode: "A0007"}} {
		if err := s.sim.InjectFault(f); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(s.sim.Faults()); got != 2 {
		t.Fatalf("Faults() has %d, want 2", got)
	}
	t.Run("FirstInFirstOut", func(t *testing.T) {
		_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
		wantRsp(t, m, "A0003", "")
	})
	t.Run("ClearFaults", func(t *testing.T) {
		s.sim.ClearFaults()
		_, m := s.get(t, pathBalance, s.balanceQuery(s.fin), s.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
	})
}

func TestInjectFaultRejects(t *testing.T) {
	sim := testbed.New(testbed.Config{})
	tests := []struct {
		name  string
		fault testbed.Fault
	}{
		{"NoEffect", testbed.Fault{API: "balance"}},
		{"UnknownAPI", testbed.Fault{API: "transfer", RspCode: "A0003"}},
		{"NegativeCount", testbed.Fault{Count: -1, RspCode: "A0003"}},
		{"BadRspCode", testbed.Fault{RspCode: "a0003"}},
		{"BadBankRspCode", testbed.Fault{RspCode: "A0002", BankRspCode: "55"}},
		{"BankRspCodeAlone", testbed.Fault{BankRspCode: "551"}},
		{"BankRspCodeWithOCode", testbed.Fault{RspCode: "O0003", BankRspCode: "000"}},
		{"HTTPStatusTooSmall", testbed.Fault{HTTPStatus: 99}},
		{"HTTPStatusTooLarge", testbed.Fault{HTTPStatus: 600}},
		{"NegativeDelay", testbed.Fault{Delay: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := sim.InjectFault(tt.fault); err == nil {
				t.Errorf("InjectFault(%+v) = nil, want an error", tt.fault)
			}
		})
	}
	if got := sim.Faults(); len(got) != 0 {
		t.Errorf("Faults() = %v, want none", got)
	}
}

// TestFaultSpendsBankTranID checks that a faulted bank call uses up its
// bank_tran_id as the real bank does once a request is authenticated: the
// same id sent again is A0008, whatever the fault did to the first call.
func TestFaultSpendsBankTranID(t *testing.T) {
	noReuse := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	tests := []struct {
		name  string
		path  string
		fault testbed.Fault
		// first sends the faulted call with q; it may fail.
		first func(t *testing.T, s *session, path string, q url.Values)
		want  string // rsp_code of the same id sent again
	}{
		{"RspCode", pathBalance, testbed.Fault{API: "balance", RspCode: "A0003"}, getAnswer("A0003"), "A0008"},
		{"BankError", pathTx, testbed.Fault{API: "transaction_list", RspCode: "A0002"}, getAnswer("A0002"), "A0008"},
		{"HTTP500", pathTx, testbed.Fault{API: "transaction_list", HTTPStatus: 500},
			func(t *testing.T, s *session, path string, q url.Values) {
				resp, _, err := s.rawGet(context.Background(), s.client, path, q)
				if err != nil || resp.StatusCode != http.StatusInternalServerError {
					t.Fatalf("first call: %v, %v; want status 500", resp, err)
				}
			}, "A0008"},
		{"Drop", pathTx, testbed.Fault{API: "transaction_list", Drop: true},
			func(t *testing.T, s *session, path string, q url.Values) {
				if _, _, err := s.rawGet(context.Background(), noReuse, path, q); err == nil {
					t.Fatal("first call answered, want a dropped connection")
				}
			}, "A0008"},
		{"DelayNotWaitedOut", pathBalance, testbed.Fault{API: "balance", Delay: 5 * time.Second},
			func(t *testing.T, s *session, path string, q url.Values) {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				if _, _, err := s.rawGet(ctx, noReuse, path, q); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("first call: %v, want the deadline", err)
				}
			}, "A0008"},
		{"DelayWaitedOut", pathBalance, testbed.Fault{API: "balance", Delay: 10 * time.Millisecond}, getAnswer("A0000"), "A0008"},
		{"DelayOnDuplicate", pathBalance, testbed.Fault{API: "balance", Delay: 10 * time.Millisecond},
			func(t *testing.T, s *session, path string, q url.Values) {
				s.sim.ClearFaults()
				getAnswer("A0000")(t, s, path, q)
				if err := s.sim.InjectFault(testbed.Fault{API: "balance", Delay: 10 * time.Millisecond}); err != nil {
					t.Fatal(err)
				}
			}, "A0008"},
		{"TokenStageCodeRecordsNothing", pathTx, testbed.Fault{API: "transaction_list", RspCode: "O0003"}, getAnswer("O0003"), "A0000"},
		{"RateLimitCodeRecordsNothing", pathBalance, testbed.Fault{API: "balance", RspCode: "O0008"}, getAnswer("O0008"), "A0000"},
		{"O0004RecordsNothing", pathBalance, testbed.Fault{API: "balance", RspCode: "O0004"}, getAnswer("O0004"), "A0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, testbed.Config{})
			if err := s.sim.InjectFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			q := s.balanceQuery(s.fin)
			if tt.path == pathTx {
				q = s.txQuery(s.fin)
			}
			tt.first(t, s, tt.path, q)
			_, m := s.get(t, tt.path, q, s.tok.AccessToken)
			wantRsp(t, m, tt.want, "")
		})
	}
	t.Run("MalformedIDNotRecorded", func(t *testing.T) {
		s := newSession(t, testbed.Config{})
		if err := s.sim.InjectFault(testbed.Fault{API: "balance", RspCode: "A0003"}); err != nil {
			t.Fatal(err)
		}
		q := s.balanceQuery(s.fin)
		q.Set("bank_tran_id", "M209999999U000000001") // another institution's
		_, m := s.get(t, pathBalance, q, s.tok.AccessToken)
		wantRsp(t, m, "A0003", "")
		q.Set("bank_tran_id", s.inst.ClientUseCode+"U000000001")
		_, m = s.get(t, pathBalance, q, s.tok.AccessToken)
		wantRsp(t, m, "A0000", "")
	})
}

// getAnswer returns a first call that expects rsp_code code.
func getAnswer(code string) func(t *testing.T, s *session, path string, q url.Values) {
	return func(t *testing.T, s *session, path string, q url.Values) {
		t.Helper()
		_, m := s.get(t, path, q, s.tok.AccessToken)
		wantRsp(t, m, code, "")
	}
}

// TestFaultAnswerShape checks that an injected rsp_code answers with the
// keys the simulator's own answer with that code has: a token-stage code
// only rsp_code and rsp_message, O0004 the header of a request that never
// reached a bank, and other codes the full bank header.
func TestFaultAnswerShape(t *testing.T) {
	gatewayKeys := []string{"rsp_code", "rsp_message"}
	bankKeys := []string{"api_tran_id", "api_tran_dtm", "rsp_code", "rsp_message", "bank_tran_id", "bank_tran_date",
		"bank_code_tran", "bank_rsp_code", "bank_rsp_message"}
	tests := []struct {
		name     string
		path     string
		fault    testbed.Fault
		wantKeys []string
		bankCode string // bank_rsp_code, when the answer has one
	}{
		{"O0003OnTransactionList", pathTx, testbed.Fault{API: "transaction_list", RspCode: "O0003"}, gatewayKeys, ""},
		{"O0008OnBalance", pathBalance, testbed.Fault{API: "balance", RspCode: "O0008"}, gatewayKeys, ""},
		{"O0002OnUserMe", pathUserMe, testbed.Fault{API: "user_me", RspCode: "O0002"}, gatewayKeys, ""},
		{"O0004OnBalance", pathBalance, testbed.Fault{API: "balance", RspCode: "O0004"}, bankKeys, ""},
		{"A0003OnTransactionList", pathTx, testbed.Fault{API: "transaction_list", RspCode: "A0003"}, bankKeys, "000"},
		{"A0003OnUserMe", pathUserMe, testbed.Fault{API: "user_me", RspCode: "A0003"}, []string{"api_tran_id", "api_tran_dtm", "rsp_code", "rsp_message"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(t, testbed.Config{})
			if err := s.sim.InjectFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			q := url.Values{"user_seq_no": {s.user.UserSeqNo}}
			switch tt.path {
			case pathTx:
				q = s.txQuery(s.fin)
			case pathBalance:
				q = s.balanceQuery(s.fin)
			}
			_, m := s.get(t, tt.path, q, s.tok.AccessToken)
			wantRsp(t, m, tt.fault.RspCode, "")
			var got []string
			for k := range m {
				got = append(got, k)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.wantKeys))
			if !slices.Equal(got, want) {
				t.Errorf("keys = %v, want %v", got, want)
			}
			if got, _ := m["bank_rsp_code"].(string); got != tt.bankCode {
				t.Errorf("bank_rsp_code = %q, want %q", got, tt.bankCode)
			}
		})
	}
}
