//! A throwaway PowerDNS per test (being written).
