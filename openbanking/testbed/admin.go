package testbed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxAdminBody bounds admin request bodies.
const maxAdminBody = 1 << 20

// adminIndex is what GET /testbed/ answers: the admin API's routes.
const adminIndex = `KFTC Open Banking testbed simulator: admin API (JSON, no authentication)

GET    /testbed/institutions                        institutions (POST adds one)
GET    /testbed/users                               users (POST adds one)
GET    /testbed/accounts                            accounts (POST adds one)
GET    /testbed/accounts/{id}/transactions          an account's transactions
POST   /testbed/accounts/{id}/transactions          post one: {"inout_type":"입금","print_content":"김민수","amount":30000}
GET    /testbed/registrations                       accounts registered to institutions
DELETE /testbed/registrations/{fintech_use_num}     cancel a registration (the bank answers A0304)
GET    /testbed/faults                              injected faults (POST adds, DELETE clears)
POST   /testbed/tokens/expire                       expire a user's access tokens
GET    /testbed/clock                               the simulator's clock (POST sets it)
GET    /testbed/settings                            settings (POST changes them)
GET    /testbed/stats                               calls by API (DELETE resets)
`

func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /testbed/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, adminIndex)
	})
	mux.HandleFunc("GET /testbed/institutions", adminGet(s.Institutions))
	mux.HandleFunc("POST /testbed/institutions", adminCreate(s.AddInstitution))
	mux.HandleFunc("GET /testbed/users", adminGet(s.Users))
	mux.HandleFunc("POST /testbed/users", adminCreate(s.AddUser))
	mux.HandleFunc("GET /testbed/accounts", adminGet(s.accountViews))
	mux.HandleFunc("POST /testbed/accounts", adminCreate(s.AddAccount))
	mux.HandleFunc("GET /testbed/accounts/{id}/transactions", func(w http.ResponseWriter, r *http.Request) {
		out, err := s.Transactions(r.PathValue("id"))
		adminResult(w, http.StatusOK, out, err, true)
	})
	mux.HandleFunc("POST /testbed/accounts/{id}/transactions", func(w http.ResponseWriter, r *http.Request) {
		var p Posting
		if !decodeAdmin(w, r, &p) {
			return
		}
		out, err := s.Post(r.PathValue("id"), p)
		adminResult(w, http.StatusCreated, out, err, true)
	})
	mux.HandleFunc("GET /testbed/registrations", adminGet(s.Registrations))
	mux.HandleFunc("DELETE /testbed/registrations/{fintech_use_num}", func(w http.ResponseWriter, r *http.Request) {
		err := s.CancelRegistration(r.PathValue("fintech_use_num"))
		adminResult(w, http.StatusNoContent, nil, err, true)
	})
	mux.HandleFunc("GET /testbed/faults", adminGet(s.Faults))
	mux.HandleFunc("POST /testbed/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if !decodeAdmin(w, r, &f) {
			return
		}
		err := f.validate()
		if err == nil {
			err = s.InjectFault(f)
		}
		adminResult(w, http.StatusCreated, f, err, false)
	})
	mux.HandleFunc("DELETE /testbed/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /testbed/tokens/expire", s.adminExpireTokens)
	mux.HandleFunc("GET /testbed/clock", adminGet(s.clockView))
	mux.HandleFunc("POST /testbed/clock", s.adminSetClock)
	mux.HandleFunc("GET /testbed/settings", adminGet(s.Settings))
	mux.HandleFunc("POST /testbed/settings", s.adminSettings)
	mux.HandleFunc("GET /testbed/stats", adminGet(s.Stats))
	mux.HandleFunc("DELETE /testbed/stats", func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
}

// adminGet answers GET requests with what get returns.
func adminGet[T any](get func() T) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, get())
	}
}

// adminCreate decodes a T from the request, passes it to add, and answers 201
// with what add returns, or 400 with its error.
func adminCreate[T any](add func(T) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in T
		if !decodeAdmin(w, r, &in) {
			return
		}
		out, err := add(in)
		adminResult(w, http.StatusCreated, out, err, false)
	}
}

// decodeAdmin decodes a single JSON value with no unknown fields into v.
// On failure it answers 400 and returns false.
func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(&json.RawMessage{}) != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	if err != nil {
		adminError(w, http.StatusBadRequest, fmt.Errorf("testbed: bad request body: %w", err))
		return false
	}
	return true
}

// adminResult answers out with status, or the error: 404 for ErrNotFound
// when the id was in the URL path (pathID), else 400.
func adminResult(w http.ResponseWriter, status int, out any, err error, pathID bool) {
	switch {
	case err == nil && status == http.StatusNoContent:
		w.WriteHeader(status)
	case err == nil:
		writeJSON(w, status, out)
	case pathID && errors.Is(err, ErrNotFound):
		adminError(w, http.StatusNotFound, err)
	default:
		adminError(w, http.StatusBadRequest, err)
	}
}

func adminError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// adminAccount is an account as the admin API lists it.
type adminAccount struct {
	Account
	CurrentBalance int64          `json:"current_balance"`
	Transactions   int            `json:"transaction_count"`
	Registrations  []Registration `json:"registrations"`
}

func (s *Server) accountViews() []adminAccount {
	regs := s.Registrations()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]adminAccount, 0, len(s.st.accountOrder))
	for _, id := range s.st.accountOrder {
		a := s.st.accounts[id]
		v := adminAccount{Account: a.Account, CurrentBalance: a.balance(), Transactions: len(a.txns), Registrations: []Registration{}}
		for _, r := range regs {
			if r.AccountID == id {
				v.Registrations = append(v.Registrations, r)
			}
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) adminExpireTokens(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccessToken string `json:"access_token"`
		UserSeqNo   string `json:"user_seq_no"`
	}
	if !decodeAdmin(w, r, &req) {
		return
	}
	switch {
	case (req.AccessToken == "") == (req.UserSeqNo == ""):
		adminError(w, http.StatusBadRequest, errors.New("testbed: expire tokens: give exactly one of access_token and user_seq_no"))
	case req.AccessToken != "":
		if err := s.ExpireToken(req.AccessToken); err != nil {
			adminError(w, http.StatusNotFound, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"expired": 1})
	default:
		s.mu.Lock()
		_, known := s.st.users[req.UserSeqNo]
		s.mu.Unlock()
		if !known {
			adminError(w, http.StatusNotFound, fmt.Errorf("testbed: expire tokens: user_seq_no %q: %w", req.UserSeqNo, ErrNotFound))
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"expired": s.ExpireUserTokens(req.UserSeqNo)})
	}
}

type clockView struct {
	Now string `json:"now"`
}

func (s *Server) clockView() clockView {
	return clockView{Now: s.clock.Now().In(kst).Format(time.RFC3339)}
}

func (s *Server) adminSetClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Set     string `json:"set"`
		Advance string `json:"advance"`
	}
	if !decodeAdmin(w, r, &req) {
		return
	}
	switch {
	case (req.Set == "") == (req.Advance == ""):
		adminError(w, http.StatusBadRequest, errors.New("testbed: set clock: give exactly one of set and advance"))
		return
	case req.Set != "":
		t, err := time.Parse(time.RFC3339, req.Set)
		if err != nil {
			adminError(w, http.StatusBadRequest, fmt.Errorf("testbed: set clock: %w", err))
			return
		}
		if err := s.clock.Set(t); err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
	default:
		d, err := time.ParseDuration(req.Advance)
		if err != nil {
			adminError(w, http.StatusBadRequest, fmt.Errorf("testbed: advance clock: %w", err))
			return
		}
		if err := s.clock.Advance(d); err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, s.clockView())
}

func (s *Server) adminSettings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Maintenance *bool    `json:"maintenance"`
		RateLimit   *float64 `json:"rate_limit"`
		RateBurst   *int     `json:"rate_burst"`
		Quirks      *Quirks  `json:"quirks"`
	}
	if !decodeAdmin(w, r, &req) {
		return
	}
	if req.RateBurst != nil && *req.RateBurst < 0 {
		adminError(w, http.StatusBadRequest, fmt.Errorf("testbed: settings: rate_burst %d is negative", *req.RateBurst))
		return
	}
	s.mu.Lock()
	if req.Maintenance != nil {
		s.st.maintenance = *req.Maintenance
	}
	if req.RateLimit != nil || req.RateBurst != nil {
		// A new rate without a burst gets the default burst; a new burst
		// alone keeps the rate.
		rps, burst := s.st.rateLimit, 0
		if req.RateLimit != nil {
			rps = *req.RateLimit
		}
		if req.RateBurst != nil {
			burst = *req.RateBurst
		}
		s.st.setRateLimit(rps, burst)
	}
	if req.Quirks != nil {
		s.st.quirks = *req.Quirks
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.Settings())
}
