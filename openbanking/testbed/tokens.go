package testbed

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Token lifetimes (contract §2.3 and §6).
const (
	// expiresIn is the expires_in of every access token: 90 days − 1 s.
	expiresIn       = 7775999
	accessLifetime  = expiresIn * time.Second
	refreshLifetime = 100 * 24 * time.Hour
)

type tokenKind int

const (
	kindAccess tokenKind = iota + 1
	kindRefresh
)

// tokenRecord is the simulator's memory of one issued JWT, keyed by jti.
type tokenRecord struct {
	kind      tokenKind
	raw       string
	clientID  string
	userSeqNo string   // "" for an institution (oob) token
	scopes    []string // sorted
	expires   time.Time
	// forced is set by ExpireToken: the token answers O0003 from then on.
	forced bool
	// revoked is set by revoke, and on a refresh token once it has been
	// rotated: the token answers O0002 from then on.
	revoked bool
	// partner is the jti of the other token of a user token pair.
	partner string
}

// expired reports whether the token is past its expiry at now.
func (t *tokenRecord) expired(now time.Time) bool {
	return t.forced || !now.Before(t.expires)
}

// issueToken signs and records one token. The caller holds s.mu.
func (s *Server) issueToken(kind tokenKind, clientID, userSeqNo, aud string, scopes []string, expires time.Time) (*tokenRecord, string, error) {
	jti := newUUID()
	raw, err := signJWT(s.key, jwtClaims{Aud: aud, Scope: scopes, Iss: tokenIssuer, Exp: expires.Unix(), Jti: jti})
	if err != nil {
		return nil, "", err
	}
	rec := &tokenRecord{kind: kind, raw: raw, clientID: clientID, userSeqNo: userSeqNo, scopes: scopes, expires: expires}
	s.st.tokens[jti] = rec
	return rec, jti, nil
}

// issueUserTokens issues an access and refresh token pair. The caller
// holds s.mu.
func (s *Server) issueUserTokens(clientID, userSeqNo string, scopes []string, now time.Time) (access, refresh *tokenRecord, err error) {
	now = now.Truncate(time.Second)
	access, aj, err := s.issueToken(kindAccess, clientID, userSeqNo, userSeqNo, scopes, now.Add(accessLifetime))
	if err != nil {
		return nil, nil, err
	}
	refresh, rj, err := s.issueToken(kindRefresh, clientID, userSeqNo, userSeqNo, scopes, now.Add(refreshLifetime))
	if err != nil {
		return nil, nil, err
	}
	access.partner, refresh.partner = rj, aj
	return access, refresh, nil
}

// lookupToken finds the record of raw. It returns nil unless raw is a
// well-signed token of the given kind that this simulator issued.
func (s *Server) lookupToken(raw string, kind tokenKind) *tokenRecord {
	c, err := verifyJWT(s.key, raw)
	if err != nil {
		return nil
	}
	rec := s.st.tokens[c.Jti]
	if rec == nil || rec.raw != raw || rec.kind != kind {
		return nil
	}
	return rec
}

// checkAccess judges an access token at now: it returns the record (nil
// for a token the simulator never issued) and "" if the token may be used,
// O0002 if it is unknown, garbled or revoked, or O0003 if it expired. The
// caller holds s.mu.
func (s *Server) checkAccess(raw string, now time.Time) (*tokenRecord, string) {
	rec := s.lookupToken(raw, kindAccess)
	switch {
	case rec == nil:
		return nil, "O0002"
	case rec.revoked:
		return rec, "O0002"
	case rec.expired(now):
		return rec, "O0003"
	}
	return rec, ""
}

// ExpireToken marks the access token expired now: its next use answers
// O0003. Its refresh token is not affected.
func (s *Server) ExpireToken(accessToken string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.lookupToken(accessToken, kindAccess)
	if rec == nil {
		return fmt.Errorf("testbed: expire token: access token: %w", ErrNotFound)
	}
	rec.forced = true
	return nil
}

// ExpireUserTokens marks every live access token of the user expired now
// and returns how many it marked. Refresh tokens are not affected.
func (s *Server) ExpireUserTokens(userSeqNo string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	n := 0
	for _, rec := range s.st.tokens {
		if rec.kind == kindAccess && rec.userSeqNo == userSeqNo && userSeqNo != "" &&
			!rec.revoked && !rec.expired(now) {
			rec.forced = true
			n++
		}
	}
	return n
}

// normalizeScopes splits a space-separated scope string and returns the
// distinct scopes sorted, which is the server-normalised order
// ("inquiry login").
func normalizeScopes(scope string) []string {
	out := strings.Fields(scope)
	slices.Sort(out)
	return slices.Compact(out)
}

// tranIDLedger remembers one institution's bank_tran_ids of one KST day.
type tranIDLedger struct {
	day string
	ids map[string]struct{}
}

// useTranID records id for the client on the KST day of now and reports
// whether it was new. Ids of earlier days are forgotten. The caller holds
// s.mu.
func (st *state) useTranID(clientID, id string, now time.Time) bool {
	day := kstDay(now)
	l := st.tranID[clientID]
	if l.day != day {
		l = tranIDLedger{day: day, ids: make(map[string]struct{})}
		st.tranID[clientID] = l
	}
	if _, dup := l.ids[id]; dup {
		return false
	}
	// id is a slice of the request; a copy keeps the request from staying
	// in memory for the rest of the day.
	l.ids[strings.Clone(id)] = struct{}{}
	return true
}
