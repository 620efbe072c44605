package aleph

import (
	"encoding/json"
	"errors"
	"fmt"
)

// GPU is one entry of the settings aggregate's compatible_gpus list.
type GPU struct {
	Name     string `json:"name"`
	Model    string `json:"model"`
	Vendor   string `json:"vendor"`
	DeviceID string `json:"device_id"`
}

// Settings is what the service reads of the settings aggregate.
type Settings struct {
	CompatibleGPUs []GPU
	// LastCRNVersion is the aggregate's last_crn_version, the release the
	// network expects compute nodes to run; "" when it names none.
	LastCRNVersion string
	byID           map[string]*GPU
}

// ParseSettings decodes the settings aggregate. By default it is read from
// DefaultSettingsAddress, the owner aleph-vm (SETTINGS_AGGREGATE_ADDRESS)
// and aleph-sdk-python's Settings service read, so that GPUs are judged
// by the list the nodes and the deployers use.
func ParseSettings(body []byte) (*Settings, error) {
	var agg struct {
		Data struct {
			Settings struct {
				CompatibleGPUs json.RawMessage `json:"compatible_gpus"`
				LastCRNVersion json.RawMessage `json:"last_crn_version"`
			} `json:"settings"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &agg); err != nil {
		return nil, fmt.Errorf("decode settings aggregate: %w", err)
	}
	raw := agg.Data.Settings.CompatibleGPUs
	var gpus []GPU
	if raw == nil || isNull(raw) {
		return nil, errors.New("decode settings aggregate: no data.settings.compatible_gpus list")
	}
	// A GPU's model is published in every node's usage: text that would
	// decode to U+FFFD refuses the list (the last good one stays, and the
	// health names why) rather than being published in its place.
	if err := CheckText(raw); err != nil {
		return nil, fmt.Errorf("decode settings aggregate: compatible_gpus %v", err)
	}
	if err := json.Unmarshal(raw, &gpus); err != nil {
		return nil, fmt.Errorf("decode settings aggregate: compatible_gpus: %w", err)
	}
	s := NewSettings(gpus)
	// Kept for what it says, never a reason to refuse the GPU list.
	if CheckText(agg.Data.Settings.LastCRNVersion) == nil {
		_ = json.Unmarshal(agg.Data.Settings.LastCRNVersion, &s.LastCRNVersion)
	}
	return s, nil
}

// NewSettings builds the lookup for a list of compatible GPUs.
func NewSettings(gpus []GPU) *Settings {
	s := &Settings{CompatibleGPUs: gpus, byID: make(map[string]*GPU, len(gpus))}
	for i := range gpus {
		if gpus[i].DeviceID != "" {
			s.byID[gpus[i].DeviceID] = &s.CompatibleGPUs[i]
		}
	}
	return s
}

// Lookup returns the compatible GPU with deviceID, or nil. A nil Settings
// knows no GPU.
func (s *Settings) Lookup(deviceID string) *GPU {
	if s == nil {
		return nil
	}
	return s.byID[deviceID]
}
