// Package ledger is moimbot's domain: groups, members, dues rules, deposits,
// the matcher that turns a deposit's payer text into a member (or a review
// item for the treasurer), and the allocation of money to months. It imports
// only the standard library and golang.org/x/text; every other package imports
// it, never the reverse.
//
// The package holds no code yet: the domain types, the matcher and the
// allocator are the next piece of work (see README.md, Status).
package ledger
