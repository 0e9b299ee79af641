//go:build !faults

package main

// faultsLong selects the long form of the fault suite; without the faults
// build tag the suite runs its short form: 5 kills unless
// MOIMBOT_FAULT_KILLS says otherwise, and no fault that waits out a
// client's real timeout.
const faultsLong = false
