//go:build faults

package main

// faultsLong selects the long form of the fault suite (the faults build
// tag): 100 kills unless MOIMBOT_FAULT_KILLS says otherwise, and the faults
// that wait out a client's real timeout.
const faultsLong = true
