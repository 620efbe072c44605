package server

import (
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"

	"nodelist/web"
)

// page is an embedded file held in memory, read once at start-up.
type page struct {
	body        []byte
	contentType string
}

func (p page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", p.contentType)
	h.Set("Content-Length", strconv.Itoa(len(p.body)))
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(p.body)
	}
}

// loadPages reads every embedded web file; index.html is also served at /.
func loadPages() (map[string]page, error) {
	pages := map[string]page{}
	err := fs.WalkDir(web.Files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.Files, name)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		p := page{body: b, contentType: ct}
		pages["/"+name] = p
		if name == "index.html" {
			pages["/{$}"] = p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load pages: %w", err)
	}
	return pages, nil
}
