package server

import (
	"encoding/json"

	"nodelist/internal/aleph"
)

// registryObject writes registry fields back as one JSON object.
func registryObject(fields []aleph.Field) json.RawMessage {
	buf := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, _ := json.Marshal(f.Key)
		buf = append(buf, k...)
		buf = append(buf, ':')
		buf = append(buf, f.Value...)
	}
	return append(buf, '}')
}
