package testbed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Fault is an injected failure. It hits the next Count calls of API that
// get past authentication and rate limiting (on the OAuth endpoints: past
// the method check). Faults are consumed first in, first out, one fault per
// call. A fault does Delay first, then the first that is set of Drop,
// HTTPStatus and RspCode; a Delay alone answers normally afterwards.
//
// A faulted call has passed authentication, so it has reached the bank: on
// balance and transaction_list the fault records the call's bank_tran_id
// (when it is well formed) before it does anything else, and a client that
// sends the same bank_tran_id again — after an injected error, a dropped
// connection or a delay it did not wait out — is answered A0008, as by the
// real service. A call that a Delay alone lets through is answered normally
// with its id counted once. Faults with an O code stand for calls the
// gateway refused and record nothing.
type Fault struct {
	// API is "" for any API, else one of "authorize", "token", "revoke",
	// "user_me", "account_list", "balance", "transaction_list".
	API string `json:"api"`
	// Count is how many calls the fault hits; 0 means 1.
	Count int `json:"count"`
	// RspCode answers HTTP 200 with this rsp_code. The answer has the
	// shape of the simulator's own answers with that code: an O code
	// (other than O0004) carries only rsp_code and rsp_message; other
	// codes carry api_tran_id and api_tran_dtm and, on balance and
	// transaction_list, the common bank header.
	RspCode string `json:"rsp_code"`
	// BankRspCode is the bank_rsp_code of balance and transaction_list
	// answers with RspCode; default "000", or "999" when RspCode is A0002.
	// It does not apply to O codes, which carry no bank fields (O0004's
	// are empty, as the request never reached a bank).
	BankRspCode string `json:"bank_rsp_code"`
	// HTTPStatus answers this HTTP status with a short plain-text body.
	HTTPStatus int `json:"http_status"`
	// Delay sleeps this long (returning early, without an answer, if the
	// request's context ends) before answering. In JSON it is a Go
	// duration string such as "2s".
	Delay time.Duration `json:"delay"`
	// Drop hijacks and closes the connection without any response.
	Drop bool `json:"drop"`
}

// faultJSON is Fault's JSON form.
type faultJSON struct {
	API         string `json:"api"`
	Count       int    `json:"count"`
	RspCode     string `json:"rsp_code,omitempty"`
	BankRspCode string `json:"bank_rsp_code,omitempty"`
	HTTPStatus  int    `json:"http_status,omitempty"`
	Delay       string `json:"delay,omitempty"`
	Drop        bool   `json:"drop,omitempty"`
}

// MarshalJSON implements json.Marshaler, writing Delay as a duration
// string.
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{API: f.API, Count: f.Count, RspCode: f.RspCode, BankRspCode: f.BankRspCode, HTTPStatus: f.HTTPStatus, Drop: f.Drop}
	if f.Delay != 0 {
		j.Delay = f.Delay.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler. It rejects unknown fields and
// reads Delay as a duration string.
func (f *Fault) UnmarshalJSON(data []byte) error {
	var j faultJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("decode fault: %w", err)
	}
	var d time.Duration
	if j.Delay != "" {
		var err error
		if d, err = time.ParseDuration(j.Delay); err != nil {
			return fmt.Errorf("decode fault delay: %w", err)
		}
	}
	*f = Fault{API: j.API, Count: j.Count, RspCode: j.RspCode, BankRspCode: j.BankRspCode, HTTPStatus: j.HTTPStatus, Delay: d, Drop: j.Drop}
	return nil
}

// validate checks f and fills in its defaults.
func (f *Fault) validate() error {
	if f.API != "" && !slices.Contains(apiNames, f.API) {
		return fmt.Errorf("unknown api %q", f.API)
	}
	switch {
	case f.Count < 0:
		return fmt.Errorf("count %d is negative", f.Count)
	case f.Count == 0:
		f.Count = 1
	}
	if f.RspCode != "" && !reRspCode.MatchString(f.RspCode) {
		return fmt.Errorf("rsp_code %q must be a capital letter and 4 digits", f.RspCode)
	}
	if f.BankRspCode != "" && !reBankRspCode.MatchString(f.BankRspCode) {
		return fmt.Errorf("bank_rsp_code %q must be 3 digits", f.BankRspCode)
	}
	if f.BankRspCode != "" && f.RspCode == "" {
		return errors.New("bank_rsp_code needs rsp_code")
	}
	if f.BankRspCode != "" && isGatewayCode(f.RspCode) {
		return fmt.Errorf("rsp_code %s is a gateway answer without bank fields: bank_rsp_code does not apply", f.RspCode)
	}
	if f.HTTPStatus != 0 && (f.HTTPStatus < 200 || f.HTTPStatus > 599) {
		return fmt.Errorf("http_status %d must be 200 to 599", f.HTTPStatus)
	}
	if f.Delay < 0 {
		return fmt.Errorf("delay %s is negative", f.Delay)
	}
	if f.RspCode == "" && f.HTTPStatus == 0 && f.Delay == 0 && !f.Drop {
		return errors.New("a fault needs rsp_code, http_status, delay or drop")
	}
	if f.BankRspCode == "" && f.RspCode != "" && !isGatewayCode(f.RspCode) {
		f.BankRspCode = "000"
		if f.RspCode == "A0002" {
			f.BankRspCode = "999"
		}
	}
	return nil
}

// isGatewayCode reports whether rspCode is an answer of the OAuth gateway
// (O0001–O0011): the gateway refused the request, no bank saw it.
func isGatewayCode(rspCode string) bool {
	return strings.HasPrefix(rspCode, "O")
}

// gatewayOnlyCode reports whether rspCode is a gateway answer that carries
// only rsp_code and rsp_message. O0004 is the exception: the simulator
// answers it after reading the parameters, with the header of a parameter
// error (and empty bank fields).
func gatewayOnlyCode(rspCode string) bool {
	return isGatewayCode(rspCode) && rspCode != "O0004"
}

// InjectFault queues a fault. It fails if the fault is invalid.
func (s *Server) InjectFault(f Fault) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("testbed: inject fault: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, &f)
	return nil
}

// ClearFaults removes every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = nil
}

// Faults returns the pending faults; Count is what remains of each.
func (s *Server) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.st.faults))
	for _, f := range s.st.faults {
		out = append(out, *f)
	}
	return out
}

// takeFault consumes one hit of the first pending fault that applies to
// api. The caller holds s.mu.
func (st *state) takeFault(api string) *Fault {
	for i, f := range st.faults {
		if f.API != "" && f.API != api {
			continue
		}
		hit := *f
		f.Count--
		if f.Count == 0 {
			st.faults = slices.Delete(st.faults, i, i+1)
		}
		return &hit
	}
	return nil
}

// applyFault carries out f, which may be nil. It reports whether the call
// is finished: answered, dropped, or abandoned because the request's
// context ended during the delay. body builds the JSON answer of an
// injected rsp_code.
func applyFault(w http.ResponseWriter, r *http.Request, f *Fault, body func(rspCode, bankRspCode string) *object) bool {
	if f == nil {
		return false
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	switch {
	case f.Drop:
		dropConnection(w)
	case f.HTTPStatus != 0:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(f.HTTPStatus)
		fmt.Fprintf(w, "testbed injected fault: %d %s\n", f.HTTPStatus, http.StatusText(f.HTTPStatus))
	case f.RspCode != "":
		writeJSON(w, http.StatusOK, body(f.RspCode, f.BankRspCode))
	default:
		return false
	}
	return true
}

// dropConnection closes the client connection without a response. When
// the connection cannot be hijacked (HTTP/2, a ResponseRecorder) it aborts
// the handler with http.ErrAbortHandler, which the server turns into a
// reset stream or closed connection.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
