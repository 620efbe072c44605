package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"
)

// Class is the kind of a probe failure, stable enough to count and store.
type Class string

// The error classes. They are part of the history store's data: add new
// ones, never rename.
const (
	ClassTimeout        Class = "timeout"
	ClassRefused        Class = "refused"
	ClassDNS            Class = "dns"
	ClassTLS            Class = "tls"
	ClassReset          Class = "reset"
	ClassHTTPStatus     Class = "http_status"
	ClassInvalidJSON    Class = "invalid_json"
	ClassInvalidData    Class = "invalid_data"
	ClassTooLarge       Class = "too_large"
	ClassForbidden      Class = "forbidden"
	ClassInvalidAddress Class = "invalid_address"
	ClassRedirect       Class = "redirect"
	ClassCanceled       Class = "canceled"
	ClassOther          Class = "other"
	// ClassDeferred: the node was not asked yet, its origin being shared
	// by more addresses than a round asks (see internal/refresh).
	ClassDeferred Class = "deferred"
)

// Error is a failed probe: a class and a short message, small enough that
// thousands of failing nodes cost little.
type Error struct {
	Class Class
	Msg   string
}

func (e *Error) Error() string { return string(e.Class) + ": " + e.Msg }

// Errorf makes an *Error of class c.
func Errorf(c Class, format string, args ...any) *Error {
	return &Error{Class: c, Msg: fmt.Sprintf(format, args...)}
}

const maxMsg = 200

// classify turns a transport error into an *Error whose message is fit to
// publish: the class's short reason, never the transport's own wording,
// which names the resolved address, the resolver and this side's address
// and port ("dial tcp 10.0.0.7:41234->…", "lookup x on 10.0.0.2:53").
// The full text is for debug logs only.
func classify(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	c := classOf(err)
	return &Error{Class: c, Msg: reason(c, err)}
}

// Describe is err as the service may publish it, "class: reason", for a
// failure of anything it talks to over the network: a node, the API host,
// its database. Like a node's error, it names no address, port or
// resolver; the full text is for the logs only.
func Describe(err error) string {
	if err == nil {
		return ""
	}
	return classify(err).Error()
}

func classOf(err error) Class {
	var ge *guardError
	var dnsErr *net.DNSError
	var recErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var unkAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certInv x509.CertificateInvalidError
	var alert tls.AlertError
	var netErr net.Error
	switch {
	case errors.As(err, &ge):
		return ClassForbidden
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return ClassTimeout
		}
		return ClassDNS
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout
	case errors.Is(err, context.Canceled):
		return ClassCanceled
	case errors.As(err, &recErr), errors.As(err, &certErr), errors.As(err, &unkAuth),
		errors.As(err, &hostErr), errors.As(err, &certInv), errors.As(err, &alert):
		return ClassTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return ClassReset
	case strings.Contains(err.Error(), "response headers exceeded"):
		return ClassTooLarge
	case strings.Contains(err.Error(), "tls:"):
		return ClassTLS
	case strings.Contains(err.Error(), "stopped after") && strings.Contains(err.Error(), "redirects"):
		return ClassRedirect
	}
	return ClassOther
}

// reason is the published wording of err, of class c.
func reason(c Class, err error) string {
	var dnsErr *net.DNSError
	switch c {
	case ClassForbidden:
		return "destination is not a public address"
	case ClassDNS:
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return "no such host"
		}
		return "lookup failed"
	case ClassTimeout:
		return "timed out"
	case ClassCanceled:
		return "canceled"
	case ClassRefused:
		return "connection refused"
	case ClassReset:
		switch {
		case errors.Is(err, syscall.ECONNRESET):
			return "connection reset by peer"
		case errors.Is(err, syscall.EPIPE):
			return "broken pipe"
		}
		return "connection closed before a complete answer"
	case ClassTooLarge:
		return "response headers too large"
	case ClassRedirect:
		return "too many redirects"
	case ClassTLS:
		return tlsReason(err)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error() // "network is unreachable": no address in it
	}
	return shorten(scrub(innermost(err).Error()))
}

func tlsReason(err error) string {
	var unkAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certInv x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &unkAuth):
		return "certificate signed by unknown authority"
	case errors.As(err, &hostErr):
		return "certificate is not valid for this host"
	case errors.As(err, &certInv) && certInv.Reason == x509.Expired:
		return "certificate has expired or is not yet valid"
	case errors.As(err, &certInv):
		return "certificate is not valid"
	case errors.As(err, &recErr):
		return "the server did not answer with TLS"
	case errors.As(err, &alert):
		return "handshake refused by the server: " + scrub(alert.Error())
	}
	return "handshake failed"
}

// innermost strips the layers that carry addresses (operation, URL,
// lookup) off err, keeping what went wrong. A network operation wrapped
// in context ("write round 3: write tcp a->b: …") is found in the chain.
func innermost(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	for {
		switch e := err.(type) {
		case *net.OpError:
			if e.Err == nil {
				return err
			}
			err = e.Err
		case *url.Error:
			err = e.Err
		case *os.SyscallError:
			err = e.Err
		default:
			return err
		}
	}
}

// addrLiteral matches what could be an address or a port in an error
// text: IPv4 and IPv6 literals, bracketed or not, zone included, and a
// ":port" left behind.
var addrLiteral = regexp.MustCompile(`\[[^\]]*\](:\d+)?|\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b|[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(%[^\s:,;]+)?(:\d+)?|:\d+\b`)

// scrub replaces every address-like run of text by "address", for error
// texts no class has a wording of its own for.
func scrub(s string) string {
	return addrLiteral.ReplaceAllString(s, "address")
}

func shorten(s string) string {
	if len(s) <= maxMsg {
		return s
	}
	cut := maxMsg
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
