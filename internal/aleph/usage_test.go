package aleph

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const goodUsage = `{"cpu":{"count":8.0,"load_average":{"load1":0.25,"load5":1.0,"load15":0.4},"core_frequencies":{"min":1200.0,"max":3400.5}},
"mem":{"total_kB":32768000.0,"available_kB":16384000},"disk":{"total_kB":1e9,"available_kB":500000000},
"period":{"start_timestamp":"2026-11-22T14:38:00","duration_seconds":60.0},
"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD"}},
"gpu":{"devices":[
  {"vendor":"NVIDIA","device_name":"AD102 [GeForce RTX 4090]","device_class":"0300","pci_host":"01:00.0","device_id":"10de:2684"},
  {"vendor":"Intel","model":"UHD 630","device_name":"CoffeeLake-S GT2","device_class":"0300","pci_host":"00:02.0","device_id":"8086:3e92","compatible":false}],
 "available_devices":null},
"active":true,"extra":{"kept":[1.5]}}`

var testSettings = NewSettings([]GPU{{Name: "RTX 4090", Model: "RTX 4090 (settings)", Vendor: "NVIDIA", DeviceID: "10de:2684"}})

func TestNormalizeUsage(t *testing.T) {
	u, err := NormalizeUsage([]byte(goodUsage), testSettings)
	if err != nil {
		t.Fatal(err)
	}
	s := string(u.JSON)
	for _, want := range []string{`"count":8`, `"load5":1`, `"min":1200`, `"max":3400.5`, `"total_kB":32768000`,
		`"total_kB":1000000000`, `"duration_seconds":60`, `"start_timestamp":"2026-11-22T14:38:00+00:00"`,
		`"features":[]`, `"available_devices":[]`, `"extra":{"kept":[1.5]}`, `"model":"RTX 4090 (settings)"`,
		`"compatible":true`, `"model":"UHD 630"`} {
		// Followed by a delimiter, so "8" does not match "8.0".
		if !strings.Contains(s, want+",") && !strings.Contains(s, want+"}") && !strings.Contains(s, want+"]") {
			t.Errorf("normalised usage lacks %s:\n%s", want, s)
		}
	}
	var compat []map[string]any
	if err := json.Unmarshal(u.Compatible, &compat); err != nil || len(compat) != 1 || compat[0]["device_id"] != "10de:2684" {
		t.Errorf("compatible_gpus = %s (%v)", u.Compatible, err)
	}
	if string(u.CompatibleAvailable) != "[]" {
		t.Errorf("compatible_available_gpus = %s", u.CompatibleAvailable)
	}
}

func TestNormalizeUsageWithoutSettingsUsesDeviceName(t *testing.T) {
	u, err := NormalizeUsage([]byte(goodUsage), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(u.JSON), `"model":"AD102 [GeForce RTX 4090]"`) || !strings.Contains(string(u.JSON), `"compatible":false`) {
		t.Errorf("without settings: %s", u.JSON)
	}
	if string(u.Compatible) != "[]" {
		t.Errorf("compatible without settings: %s", u.Compatible)
	}
}

func TestNormalizeUsageRejects(t *testing.T) {
	tests := []struct {
		name, from, to, wantErr string
	}{
		{"count zero", `"count":8.0`, `"count":0`, "cpu.count"},
		{"count fraction", `"count":8.0`, `"count":8.5`, "cpu.count"},
		{"count string", `"count":8.0`, `"count":"8"`, "cpu.count"},
		{"mem missing", `"mem":{"total_kB":32768000.0,"available_kB":16384000},`, ``, "mem"},
		{"available negative", `"available_kB":16384000`, `"available_kB":-1`, "mem.available_kB"},
		{"cpu a string", `"cpu":{"count"`, `"cpu":"x","z":{"count"`, "cpu"},
		{"bad timestamp", `"2026-11-22T14:38:00"`, `"yesterday"`, "period.start_timestamp"},
		{"active a string", `"active":true,`, `"active":"yes",`, "active"},
		{"gpu entry lacks vendor", `{"vendor":"NVIDIA",`, `{`, "gpu.devices[0].vendor"},
		{"devices not a list", `"available_devices":null`, `"available_devices":{}`, "gpu.available_devices"},
		{"features not strings", `"vendor":"AuthenticAMD"}`, `"vendor":"AuthenticAMD","features":[1]}`, "properties.cpu.features"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(goodUsage, tt.from, tt.to, 1)
			if body == goodUsage {
				t.Fatalf("test case does not change the body")
			}
			_, err := NormalizeUsage([]byte(body), testSettings)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
	for _, body := range []string{`[]`, `"x"`, `{"cpu":`, `{} {}`} {
		if _, err := NormalizeUsage([]byte(body), nil); err == nil {
			t.Errorf("NormalizeUsage(%s) succeeded", body)
		}
	}
}

func TestDecodeConfig(t *testing.T) {
	cfg, problems, err := DecodeConfig([]byte(`{"version":"1.8.1","references":{"CHECK_FASTAPI_VM_ID":"` + strings.Repeat("a", 64) + `"},
		"payment":{"PAYMENT_RECEIVER_ADDRESS":"0xabc"},"computing":{"ENABLE_GPU_SUPPORT":true,"ENABLE_QEMU_SUPPORT":"yes"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if *cfg.Version != "1.8.1" || *cfg.PaymentReceiver != "0xabc" || !*cfg.GPUSupport || cfg.QEMU != nil || cfg.Confidential != nil {
		t.Errorf("decoded %+v", cfg)
	}
	if cfg.CheckVMID != strings.Repeat("a", 64) {
		t.Errorf("vm id %s", cfg.CheckVMID)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "ENABLE_QEMU_SUPPORT") {
		t.Errorf("problems %v", problems)
	}

	cfg, problems, err = DecodeConfig([]byte(`{"version":2,"references":{"CHECK_FASTAPI_VM_ID":"../../admin"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != nil || cfg.CheckVMID != DefaultCheckVMID {
		t.Errorf("decoded %+v", cfg)
	}
	// No "computing" and no "payment" is an older era, not a problem.
	if got := strings.Join(problems, "; "); got != "version is not a string" {
		t.Errorf("problems %q", got)
	}
	if _, _, err := DecodeConfig([]byte(`["not","an","object"]`)); err == nil {
		t.Error("a list was accepted as config")
	}
}

// TestNormalizeUsageUnknownCPU: aleph-vm omits properties.cpu.architecture
// (exclude_none) on a CPU that is neither x86_64 nor arm64; the usage is
// kept and the property written as "unknown", whatever way it is left out.
// A property of the wrong type is still an error.
func TestNormalizeUsageUnknownCPU(t *testing.T) {
	const cpu = `"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD"}`
	tests := []struct {
		name, cpu, wantArch, wantVendor, wantErr string
	}{
		{"architecture omitted", `"cpu":{"vendor":"AuthenticAMD"}`, "unknown", "AuthenticAMD", ""},
		{"architecture null", `"cpu":{"architecture":null,"vendor":"AuthenticAMD"}`, "unknown", "AuthenticAMD", ""},
		{"both omitted", `"cpu":{}`, "unknown", "unknown", ""},
		{"vendor null", `"cpu":{"architecture":"arm64","vendor":null}`, "arm64", "unknown", ""},
		{"other vendor kept", `"cpu":{"vendor":"ARM","features":[]}`, "unknown", "ARM", ""},
		{"architecture a number", `"cpu":{"architecture":64,"vendor":"ARM"}`, "", "", "properties.cpu.architecture"},
		{"vendor a list", `"cpu":{"vendor":["ARM"]}`, "", "", "properties.cpu.vendor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(goodUsage, cpu, tt.cpu, 1)
			if body == goodUsage {
				t.Fatal("test case does not change the body")
			}
			u, err := NormalizeUsage([]byte(body), testSettings)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("usage refused: %v", err)
			}
			var got struct {
				Properties struct {
					CPU struct{ Architecture, Vendor *string }
				}
				Mem struct {
					Total int64 `json:"total_kB"`
				}
			}
			if err := json.Unmarshal(u.JSON, &got); err != nil {
				t.Fatal(err)
			}
			c := got.Properties.CPU
			if c.Architecture == nil || *c.Architecture != tt.wantArch || c.Vendor == nil || *c.Vendor != tt.wantVendor {
				t.Errorf("architecture %v, vendor %v; want %q, %q: %s", c.Architecture, c.Vendor, tt.wantArch, tt.wantVendor, u.JSON)
			}
			if got.Mem.Total != 32768000 {
				t.Errorf("the rest of the usage was not kept: %s", u.JSON)
			}
		})
	}
}

// TestNormalizeUsageRefusesNumbersOutOfRange: a number no float64 holds is
// valid JSON, but serde refuses the whole list over it and Python reads
// inf; the usage is refused naming the field.
func TestNormalizeUsageRefusesNumbersOutOfRange(t *testing.T) {
	base := `{"cpu":{"count":8,"load_average":{"load1":0.25,"load5":1.0,"load15":0.4},"core_frequencies":{"min":1200,"max":3400.5}},` +
		`"mem":{"total_kB":32768000,"available_kB":16384000},"disk":{"total_kB":1000000000,"available_kB":500000000},` +
		`"period":{"start_timestamp":"2026-11-22T14:38:00+00:00","duration_seconds":60},` +
		`"properties":{"cpu":{"architecture":"x86_64","vendor":"AuthenticAMD","features":[]}},"active":true`
	for extra, want := range map[string]string{
		`"x":1e999`:                           "usage field x: number 1e999 out of range",
		`"x":{"y":[1,-1e400]}`:                "usage field x.y[1]: number -1e400 out of range",
		`"x":1` + strings.Repeat("0", 400):    "usage field x: number 1000000000000000000000000000000000000000… out of range",
		`"x":[1e308, 2.5e-400, -0.0, 123456]`: "",
	} {
		_, err := NormalizeUsage([]byte(base+","+extra+"}"), nil)
		if got := fmt.Sprint(err); (want == "" && err != nil) || (want != "" && got != want) {
			t.Errorf("%s: %v, want %q", extra, err, want)
		}
	}
}
