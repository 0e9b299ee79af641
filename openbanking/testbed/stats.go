package testbed

import "maps"

// Stats counts the calls that reached a known API route, rejected ones
// included. ByAPI counts every such call; ByClient and ByClientAPI count
// only the calls whose institution could be identified: a registered
// client_id on the OAuth endpoints, or a signed token the simulator issued
// on the inquiry APIs (even if it was revoked or expired).
type Stats struct {
	ByAPI       map[string]int64            `json:"by_api"`
	ByClient    map[string]int64            `json:"by_client"`
	ByClientAPI map[string]map[string]int64 `json:"by_client_api"`
}

func newStats() Stats {
	return Stats{
		ByAPI:       make(map[string]int64),
		ByClient:    make(map[string]int64),
		ByClientAPI: make(map[string]map[string]int64),
	}
}

// Stats returns a copy of the call counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{
		ByAPI:       maps.Clone(s.st.stats.ByAPI),
		ByClient:    maps.Clone(s.st.stats.ByClient),
		ByClientAPI: make(map[string]map[string]int64, len(s.st.stats.ByClientAPI)),
	}
	for c, m := range s.st.stats.ByClientAPI {
		out.ByClientAPI[c] = maps.Clone(m)
	}
	return out
}

// ResetStats sets every call counter back to zero.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.stats = newStats()
}

// countAPI counts one call of api. It runs before the answer is written so
// that a caller reading Stats after the response sees the call.
func (s *Server) countAPI(api string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.stats.ByAPI[api]++
}

// countClient attributes one call of api to clientID. The caller holds s.mu.
func (st *state) countClient(clientID, api string) {
	st.stats.ByClient[clientID]++
	m := st.stats.ByClientAPI[clientID]
	if m == nil {
		m = make(map[string]int64)
		st.stats.ByClientAPI[clientID] = m
	}
	m[api]++
}
