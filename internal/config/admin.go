package config

import (
	"bytes"
	"flag"
	"fmt"
)

// MinAdminToken is the shortest admin token accepted, in bytes: 16
// random characters are out of reach of guessing over the network.
const MinAdminToken = 16

// RegisterAdmin adds --admin-token-file.
func (c *Config) RegisterAdmin(fs *flag.FlagSet) {
	fs.StringVar(&c.AdminTokenFile, "admin-token-file", c.AdminTokenFile,
		"file holding the admin token that POST /-/reload and the rounds forced by /debug/node require (Authorization: Bearer TOKEN); none: they take any caller")
}

// AdminToken reads the admin token from AdminTokenFile ("": none, nil
// token) with the bounded read of every configured file. The token is
// the file's content less surrounding white space (a final newline): at
// least MinAdminToken visible ASCII characters, as an HTTP header carries
// them. An error names the file, never its content.
func (c *Config) AdminToken() ([]byte, error) {
	if c.AdminTokenFile == "" {
		return nil, nil
	}
	b, err := ReadFile(c.AdminTokenFile)
	if err != nil {
		return nil, fmt.Errorf("--admin-token-file: %w", err)
	}
	tok := bytes.TrimSpace(b)
	if len(tok) < MinAdminToken {
		return nil, fmt.Errorf("--admin-token-file %s: the token has %d characters, want at least %d (openssl rand -hex 32 makes one)", c.AdminTokenFile, len(tok), MinAdminToken)
	}
	for _, ch := range tok {
		if ch < 0x21 || ch > 0x7e {
			return nil, fmt.Errorf("--admin-token-file %s: the token holds a space, a control or a non-ASCII character; want visible ASCII only", c.AdminTokenFile)
		}
	}
	return tok, nil
}
