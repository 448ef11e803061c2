package runtimeapi

// ParkedPolls returns how many GET /next requests are parked.
func (s *Server) ParkedPolls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiters)
}

// Conns returns how many connections are open.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Pending reports whether an invocation waits for a GET /next.
func (s *Server) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending != nil
}
