package simfleet

import "encoding/json"

// Owners of a settings aggregate on the API host. SettingsAddress is the
// one aleph-vm's SETTINGS_AGGREGATE_ADDRESS and aleph-sdk-python read;
// LegacySettingsAddress is the one the Python list service read, which
// here holds an older GPU list, so that a client reading it judges some
// cards differently from the nodes' own network.
const (
	SettingsAddress       = "0xFba561a84A537fCaa567bb7A2257e7142701ae2A"
	LegacySettingsAddress = "0xA07B1214bAe0D5ccAA25449C3149c0aC83658874"
)

// LastCRNVersion is the settings aggregate's last_crn_version.
const LastCRNVersion = "1.11.0"

// SettingsGPU is one entry of a settings aggregate's compatible_gpus.
type SettingsGPU struct {
	Name     string `json:"name"`
	Model    string `json:"model"`
	Vendor   string `json:"vendor"`
	DeviceID string `json:"device_id"`
}

// TodayGPUs is the compatible GPU list served at SettingsAddress: what the
// network accepts today. It lists 10de:2685, which the older list lacks,
// and no longer lists 10de:1eb8.
var TodayGPUs = []SettingsGPU{
	{"AD102 [GeForce RTX 4090]", "RTX 4090", "NVIDIA", "10de:2684"},
	{"AD102 [GeForce RTX 4090 D]", "RTX 4090", "NVIDIA", "10de:2685"},
	{"AD104GL [RTX 4000 SFF Ada Generation]", "RTX 4000 ADA", "NVIDIA", "10de:27b0"},
	{"AD102GL [L40S]", "L40S", "NVIDIA", "10de:26b9"},
	{"GH100 [H100 PCIe]", "H100", "NVIDIA", "10de:2331"},
}

// legacyGPUs is the older list served at LegacySettingsAddress.
var legacyGPUs = []SettingsGPU{
	{"AD102 [GeForce RTX 4090]", "RTX 4090", "NVIDIA", "10de:2684"},
	{"AD104GL [RTX 4000 SFF Ada Generation]", "RTX 4000 ADA", "NVIDIA", "10de:27b0"},
	{"AD102GL [L40S]", "L40S", "NVIDIA", "10de:26b9"},
	{"GH100 [H100 PCIe]", "H100", "NVIDIA", "10de:2331"},
	{"TU104GL [Tesla T4]", "Tesla T4", "NVIDIA", "10de:1eb8"},
}

// settingsJSON is the settings aggregate of owner: its GPU list, and the
// other keys the real aggregate carries.
func settingsJSON(owner string, gpus []SettingsGPU, lastCRN string) []byte {
	type settings struct {
		CompatibleGPUs           []SettingsGPU `json:"compatible_gpus"`
		LastCRNVersion           string        `json:"last_crn_version,omitempty"`
		CommunityWalletAddress   string        `json:"community_wallet_address"`
		CommunityWalletTimestamp int64         `json:"community_wallet_timestamp"`
	}
	var doc struct {
		Address string `json:"address"`
		Data    struct {
			Settings settings `json:"settings"`
		} `json:"data"`
		Info struct{} `json:"info"`
	}
	doc.Address = owner
	doc.Data.Settings = settings{gpus, lastCRN, "0x5aBd3258C5492fD378EBC2e0017416E199e5Da56", 1739996239}
	b, _ := json.Marshal(doc) // plain strings and numbers always marshal
	return b
}

var (
	todaySettings  = settingsJSON(SettingsAddress, TodayGPUs, LastCRNVersion)
	legacySettings = settingsJSON(LegacySettingsAddress, legacyGPUs, "")
)
