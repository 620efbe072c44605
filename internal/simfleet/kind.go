package simfleet

import "strconv"

// Kind is a node's fault behaviour.
type Kind int

const (
	KindOK             Kind = iota // answers every probe correctly
	KindFailing                    // HTTP 500 with a small HTML body on every probe
	KindHung                       // accepts the request and never answers, until the client goes away or the fleet closes
	KindInvalidJSON                // HTTP 200, Content-Type application/json, a body that is not valid JSON
	KindInvalidAddress             // its registry address is invalid, so it is never dialed
)

func (k Kind) String() string {
	switch k {
	case KindOK:
		return "ok"
	case KindFailing:
		return "failing"
	case KindHung:
		return "hung"
	case KindInvalidJSON:
		return "invalid-json"
	case KindInvalidAddress:
		return "invalid-address"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// invalidAddresses are the registry addresses of KindInvalidAddress nodes,
// in rotation: each is refused for a different reason.
var invalidAddresses = []string{
	"", "not a url", "ftp://127.0.0.1:1", "https://www.google.com", "http://", "javascript:alert(1)",
}
