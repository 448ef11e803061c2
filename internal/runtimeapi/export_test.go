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
