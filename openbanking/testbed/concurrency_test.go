package testbed_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

// call sends a request and decodes a JSON object answer. Unlike the
// fixture's helpers it returns errors, so goroutines may use it.
func (s *session) call(method, path, contentType, body string, bearer string) (int, map[string]any, error) {
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	var m map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &m); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, m, nil
}

// TestConcurrentUse hammers one simulator from several goroutines with
// inquiries, paging, postings, consents, token exchanges, admin calls and
// setting changes. Run it with -race.
func TestConcurrentUse(t *testing.T) {
	s := newSession(t, testbed.Config{})
	s.post(t, s.acct.ID, 40, t0.Add(-5*time.Hour), "회비")
	const workers, rounds = 8, 25
	allowed := map[any]bool{"A0000": true, "A0003": true}
	form := "application/x-www-form-urlencoded"
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				if err := s.concurrentStep(w, i, allowed, form); err != nil {
					errs <- fmt.Errorf("worker %d round %d: %w", w, i, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	txs, err := s.sim.Transactions(s.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(txs), 40+workers*rounds/6; got < want {
		t.Errorf("%d transactions, want at least %d", got, want)
	}
	for i, tx := range txs {
		if tx.Seq != int64(i+1) {
			t.Fatalf("transaction %d has seq %d", i, tx.Seq)
		}
		if i > 0 && tx.AfterBalance != txs[i-1].AfterBalance+tx.Amount {
			t.Fatalf("running balance broken at seq %d", tx.Seq)
		}
	}
}

func (s *session) concurrentStep(w, i int, allowed map[any]bool, form string) error {
	switch (w + i) % 6 {
	case 0:
		_, m, err := s.call(http.MethodGet, pathBalance+"?"+s.balanceQuery(s.fin).Encode(), "", "", s.tok.AccessToken)
		if err == nil && !allowed[m["rsp_code"]] {
			err = fmt.Errorf("balance: %v", m)
		}
		return err
	case 1:
		q := s.txQuery(s.fin)
		_, m, err := s.call(http.MethodGet, pathTx+"?"+q.Encode(), "", "", s.tok.AccessToken)
		if err != nil {
			return err
		}
		if trace, _ := m["befor_inquiry_trace_info"].(string); trace != "" && m["next_page_yn"] == "Y" {
			q.Set("bank_tran_id", s.tranID())
			q.Set("befor_inquiry_trace_info", trace)
			if _, m, err = s.call(http.MethodGet, pathTx+"?"+q.Encode(), "", "", s.tok.AccessToken); err != nil {
				return err
			}
		}
		if !allowed[m["rsp_code"]] {
			return fmt.Errorf("transaction_list: %v", m)
		}
	case 2:
		status, m, err := s.call(http.MethodPost, "/testbed/accounts/"+s.acct.ID+"/transactions", "application/json",
			fmt.Sprintf(`{"inout_type":"입금","print_content":"동시%d-%d","amount":1000}`, w, i), "")
		if err == nil && status != http.StatusCreated {
			err = fmt.Errorf("post: %d %v", status, m)
		}
		return err
	case 3:
		q := s.authorizeValues()
		q.Set("user_seq_no", s.user.UserSeqNo)
		q.Set("consent", "agree")
		q.Set("account", s.acct.ID)
		req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/oauth/2.0/authorize", strings.NewReader(q.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", form)
		resp, err := s.client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			return err
		}
		_, m, err := s.call(http.MethodPost, "/oauth/2.0/token", form, s.codeForm(loc.Query().Get("code")).Encode(), "")
		if err == nil && m["access_token"] == nil {
			err = fmt.Errorf("token: %v", m)
		}
		return err
	case 4:
		s.sim.SetQuirks(testbed.Quirks{OddKeys: i%2 == 0})
		s.sim.Stats()
		s.sim.Registrations()
		status, _, err := s.call(http.MethodGet, "/testbed/accounts", "", "", "")
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("admin accounts: %d", status)
		}
		return err
	case 5:
		if err := s.sim.InjectFault(testbed.Fault{API: "user_me", RspCode: "A0003"}); err != nil {
			return err
		}
		q := url.Values{"user_seq_no": {s.user.UserSeqNo}}
		_, m, err := s.call(http.MethodGet, pathUserMe+"?"+q.Encode(), "", "", s.tok.AccessToken)
		if err == nil && !allowed[m["rsp_code"]] {
			err = fmt.Errorf("user/me: %v", m)
		}
		s.clock.Advance(time.Millisecond)
		return err
	}
	return nil
}
