// Reading OMS config.yaml files: one per region, all naming the same MetaDB.

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "oms/config.h"
#include "util/env.h"

#include "omsbackup/error.h"
#include "omsbackup/oms.h"

namespace omsbackup {

namespace {

constexpr std::size_t kMaxConfigBytes = 16u << 20;  // a config.yaml is a few KiB

constexpr const char* kHost = "oms_meta_host";
constexpr const char* kPort = "oms_meta_port";
constexpr const char* kUser = "oms_meta_user";
constexpr const char* kPassword = "oms_meta_password";
constexpr const char* kRmDb = "drc_rm_db";
constexpr const char* kCmDb = "drc_cm_db";
constexpr const char* kHeartbeatDb = "drc_cm_heartbeat_db";
constexpr const char* kLocation = "cm_location";
constexpr const char* kRegion = "cm_region";
constexpr const char* kRegionCn = "cm_region_cn";
constexpr const char* kIsDefault = "cm_is_default";

// The keys this reader looks at; every other key of config.yaml is ignored.
constexpr const char* kKnownKeys[] = {kHost,  kPort,        kUser,     kPassword, kRmDb,    kCmDb,
                                      kHeartbeatDb, kLocation, kRegion,  kRegionCn, kIsDefault};

// What each required key is, for "missing"/"empty" messages.
const char* describe_key(std::string_view key) {
  if (key == kHost) return "the MetaDB address, e.g. oms_meta_host: 10.0.0.1";
  if (key == kPort)
    return "the MetaDB port, e.g. oms_meta_port: 2883 (2881 direct to OceanBase, 2883 through "
           "its proxy, 3306 for MySQL)";
  if (key == kUser) return "the MetaDB user, e.g. oms_meta_user: root@oms_tenant";
  if (key == kPassword) return "the MetaDB password, quoted: oms_meta_password: \"...\"";
  if (key == kRmDb) return "the rm database, e.g. drc_rm_db: oms_rm";
  if (key == kCmDb) return "the cm database, e.g. drc_cm_db: oms_cm";
  if (key == kHeartbeatDb)
    return "this region's heartbeat database, e.g. drc_cm_heartbeat_db: oms_cm_heartbeat";
  return "a value";
}

std::string object_of(const std::string& file, std::string_view key) {
  return fmt::format("{}: {}", file, key);
}

[[noreturn]] void fail(const std::string& file, std::string_view key, const std::string& message) {
  throw Error(Errc::invalid_argument, key.empty() ? file : object_of(file, key), message);
}

// Shows values in messages, except any value that contains a password: a password is never
// printed, not even inside another value (a password pasted into the wrong key).
class Redactor {
 public:
  void add_password(const std::string& password) {
    if (!password.empty()) passwords_.push_back(password);
  }

  std::string show(const std::string& value) const {
    for (const auto& p : passwords_)
      if (value.find(p) != std::string::npos) return "(a value not shown: it contains a password)";
    constexpr std::size_t kMaxShown = 100;
    std::string out = "\"";
    std::size_t shown = 0;
    for (unsigned char c : value) {
      if (++shown > kMaxShown) break;
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20 || c == 0x7f) {
        out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
    if (value.size() > kMaxShown) out += "...";
    return out;
  }

 private:
  std::vector<std::string> passwords_;
};

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

constexpr const char* kWhereConfigLives =
    "give the path of the region's config.yaml (on an OMS node /home/admin/conf/config.yaml, "
    "usually mounted from the host's /data/config.yaml)";

std::string read_config_file(Env& env, const std::string& path, FileInfo& info) {
  int err = 0;
  std::unique_ptr<SequentialFile> file = env.open_named_file(path, info, err);
  if (!file) fail(path, {}, fmt::format("cannot read it: {}; {}", errno_text(err), kWhereConfigLives));
  if (info.type == FileInfo::Type::directory)
    fail(path, {}, fmt::format("is a directory, not a file; {}", kWhereConfigLives));
  std::string text;
  char buf[64 * 1024];
  for (;;) {
    std::size_t n = 0;
    try {
      n = file->read(buf, sizeof buf);
    } catch (const Error& e) {
      fail(path, {}, fmt::format("cannot read it ({}); {}", e.message(), kWhereConfigLives));
    }
    if (n == 0) break;
    text.append(buf, n);
    if (text.size() > kMaxConfigBytes)
      fail(path, {},
           fmt::format("is larger than {} MiB, which no config.yaml is; {}", kMaxConfigBytes >> 20,
                       kWhereConfigLives));
  }
  return text;
}

// yaml-cpp's own text, cut before any detail it appends (e.g. "unknown escape character: x"),
// which could be a piece of a password.
std::string yaml_reason(const std::string& msg) {
  std::string reason = msg.substr(0, msg.find(": "));
  return reason.empty() ? std::string("syntax error") : reason;
}

// One file after parsing: the known keys it sets, with the line each is on.
struct RawFile {
  std::string file;
  std::map<std::string, YAML::Node> values;
  std::map<std::string, int> lines;  // 1-based, of the key
};

RawFile parse_file(const std::string& path, const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.is_null()
                            ? std::string("somewhere")
                            : fmt::format("at line {}, column {}", e.mark.line + 1, e.mark.column + 1);
    fail(path, {},
         fmt::format("is not valid YAML: {} ({}); fix the syntax there (a value with ':', '#', "
                     "quotes or leading special characters must be quoted)",
                     where, yaml_reason(e.msg)));
  }
  if (!root.IsDefined() || root.IsNull())
    fail(path, {},
         "is empty; expected an OMS config.yaml with oms_meta_host, oms_meta_port, "
         "oms_meta_user, oms_meta_password, drc_rm_db, drc_cm_db and drc_cm_heartbeat_db");
  if (!root.IsMap())
    fail(path, {},
         fmt::format("is not an OMS config.yaml: its top level is a {}, not a mapping of "
                     "\"key: value\" lines; {}",
                     root.IsSequence() ? "list" : "single value", kWhereConfigLives));

  RawFile raw;
  raw.file = path;
  for (const auto& pair : root) {
    const YAML::Node key = pair.first;  // copies: the iterator's values are temporaries
    if (!key.IsScalar()) continue;
    const std::string name = key.Scalar();
    bool known = false;
    for (const char* k : kKnownKeys) known = known || name == k;
    if (!known) continue;
    int line = key.Mark().is_null() ? 0 : key.Mark().line + 1;
    auto [pos, inserted] = raw.lines.emplace(name, line);
    if (!inserted)
      fail(path, name,
           fmt::format("is set twice, on line {} and on line {}; keep only the right one",
                       pos->second, line));
    raw.values.emplace(name, pair.second);
  }
  return raw;
}

// Reads typed values from one parsed file, with messages that say where.
class FileReader {
 public:
  FileReader(const RawFile& raw, const Redactor& redactor) : raw_(raw), redactor_(redactor) {}

  // The value as text; nullopt when the key is absent or null (`key:`, `key: ~`).
  std::optional<std::string> optional_scalar(const char* key) const {
    auto it = raw_.values.find(key);
    if (it == raw_.values.end()) return std::nullopt;
    const YAML::Node& node = it->second;
    if (node.IsNull() || !node.IsDefined()) return std::nullopt;
    if (!node.IsScalar())
      fail(raw_.file, key,
           fmt::format("{}is a {}; it must be a single value", at(key),
                       node.IsSequence() ? "list" : "mapping"));
    return node.Scalar();
  }

  std::string required_scalar(const char* key) const {
    auto it = raw_.values.find(key);
    if (it == raw_.values.end())
      fail(raw_.file, key,
           fmt::format("is missing; every region's config.yaml must set it: {}", describe_key(key)));
    std::optional<std::string> value = optional_scalar(key);
    if (!value)
      fail(raw_.file, key,
           fmt::format("{}has no value; set it: {}{}", at(key), describe_key(key),
                       std::string_view(key) == kPassword
                           ? " (an empty password is written \"\"; the words null and ~ must "
                             "be quoted)"
                           : ""));
    if (value->empty() && std::string_view(key) != kPassword)
      fail(raw_.file, key, fmt::format("{}is empty; set it: {}", at(key), describe_key(key)));
    return *value;
  }

  // A non-negative decimal integer in [lo, hi], quoted or not; nullopt if absent.
  std::optional<int> optional_int(const char* key, int lo, int hi, const char* what,
                                  const char* example) const {
    std::optional<std::string> text = optional_scalar(key);
    if (!text) return std::nullopt;
    return parse_int(key, *text, lo, hi, what, example);
  }

  int required_int(const char* key, int lo, int hi, const char* what, const char* example) const {
    return parse_int(key, required_scalar(key), lo, hi, what, example);
  }

  bool optional_bool(const char* key) const {
    std::optional<std::string> text = optional_scalar(key);
    if (!text) return false;
    std::string lower;
    for (char c : *text)
      lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower == "true" || lower == "yes" || lower == "on") return true;
    if (lower == "false" || lower == "no" || lower == "off") return false;
    fail(raw_.file, key,
         fmt::format("{}{} is not a boolean; write {}: true or {}: false", at(key),
                     redactor_.show(*text), key, key));
  }

 private:
  std::string at(const char* key) const {
    auto it = raw_.lines.find(key);
    return it == raw_.lines.end() || it->second <= 0 ? std::string()
                                                      : fmt::format("line {}: ", it->second);
  }

  int parse_int(const char* key, const std::string& text, int lo, int hi, const char* what,
                const char* example) const {
    bool ok = !text.empty() && text.size() <= 9;
    long value = 0;
    for (char c : text) {
      // Stop at the first bad character, and before a 10th digit: longer text could
      // overflow `value` (signed overflow is undefined; UBSan found it).
      if (!ok || c < '0' || c > '9') {
        ok = false;
        break;
      }
      value = value * 10 + (c - '0');
    }
    if (!ok || value < lo || value > hi)
      fail(raw_.file, key,
           fmt::format("{}{} is not {}; give an integer {}..{}, e.g. {}: {}", at(key),
                       redactor_.show(text), what, lo, hi, key, example));
    return static_cast<int>(value);
  }

  const RawFile& raw_;
  const Redactor& redactor_;
};

// Everything one file says, validated.
struct FileConfig {
  std::string host, user, password, rm_db, cm_db;
  int port = 0;
  OmsRegion region;
};

FileConfig read_file_config(const RawFile& raw, const Redactor& redactor) {
  FileReader r(raw, redactor);
  FileConfig c;
  c.host = r.required_scalar(kHost);
  c.port = r.required_int(kPort, 1, 65535, "a port", "2883");
  c.user = r.required_scalar(kUser);
  c.password = r.required_scalar(kPassword);
  c.rm_db = r.required_scalar(kRmDb);
  c.cm_db = r.required_scalar(kCmDb);
  c.region.file = raw.file;
  c.region.heartbeat_db = r.required_scalar(kHeartbeatDb);
  c.region.region = r.optional_scalar(kRegion).value_or("");
  c.region.region_cn = r.optional_scalar(kRegionCn).value_or("");
  c.region.location = r.optional_int(kLocation, 0, 127, "a cm_location", "100").value_or(-1);
  c.region.is_default = r.optional_bool(kIsDefault);
  return c;
}

// The two files name different values for a key every region must share.
[[noreturn]] void fail_contradiction(const std::string& first_file, const std::string& file,
                                     const char* key, const std::string& message) {
  fail(file, key,
       fmt::format("{}; all regions share one MetaDB, so every config.yaml must agree on {}: "
                   "correct the stale file (compare it with {}) or leave it out",
                   message, key, first_file));
}

void check_same(const std::string& first_file, const std::string& file, const char* key,
                const std::string& first_value, const std::string& value,
                const Redactor& redactor) {
  if (first_value == value) return;
  fail_contradiction(first_file, file, key,
                     fmt::format("is {} here but {} in {}", redactor.show(value),
                                 redactor.show(first_value), first_file));
}

void push_unique(std::vector<std::string>& out, const std::string& name) {
  for (const auto& existing : out)
    if (existing == name) return;
  out.push_back(name);
}

}  // namespace

std::vector<std::string> OmsConfig::databases() const {
  std::vector<std::string> out;
  push_unique(out, rm_db);
  push_unique(out, cm_db);
  for (const auto& r : regions) push_unique(out, r.heartbeat_db);
  return out;
}

std::vector<std::string> OmsConfig::heartbeat_databases() const {
  std::vector<std::string> out;
  for (const auto& r : regions) push_unique(out, r.heartbeat_db);
  return out;
}

OmsConfig read_oms_config(Env& env, const std::vector<std::string>& files) {
  if (files.empty())
    throw Error(Errc::invalid_argument, "",
                fmt::format("no config.yaml given; {} (one per region)", kWhereConfigLives));
  std::vector<OmsConfigText> texts;
  std::vector<FileInfo> infos(files.size());
  texts.reserve(files.size());
  auto same_file_as = [&](std::size_t i) -> std::optional<std::size_t> {
    for (std::size_t j = 0; j < i; ++j)
      if (files[i] == files[j] ||
          (infos[i].device == infos[j].device && infos[i].inode == infos[j].inode))
        return j;
    return std::nullopt;
  };
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (files[i].empty())
      throw Error(Errc::invalid_argument, "",
                  fmt::format("an empty path was given for a config.yaml; {}", kWhereConfigLives));
    std::string text = read_config_file(env, files[i], infos[i]);
    if (std::optional<std::size_t> j = same_file_as(i))
      fail(files[i], {},
           fmt::format("is the same file as {}: each region's config.yaml is given once",
                       files[*j]));
    texts.push_back(OmsConfigText{files[i], std::move(text)});
  }
  return parse_oms_config(texts);
}

OmsConfig parse_oms_config(const std::vector<OmsConfigText>& files) {
  if (files.empty())
    throw Error(Errc::invalid_argument, "",
                fmt::format("no config.yaml given; {} (one per region)", kWhereConfigLives));

  // Parse everything first, so every password is known before any value is shown.
  std::vector<RawFile> raws;
  raws.reserve(files.size());
  Redactor redactor;
  for (const OmsConfigText& f : files) {
    raws.push_back(parse_file(f.file, f.text));
    auto pw = raws.back().values.find(kPassword);
    if (pw != raws.back().values.end() && pw->second.IsScalar())
      redactor.add_password(pw->second.Scalar());
  }

  std::vector<FileConfig> configs;
  configs.reserve(raws.size());
  for (const auto& raw : raws) configs.push_back(read_file_config(raw, redactor));

  const FileConfig& first = configs.front();
  for (std::size_t i = 1; i < configs.size(); ++i) {
    const FileConfig& c = configs[i];
    const std::string& f0 = first.region.file;
    const std::string& f = c.region.file;
    check_same(f0, f, kHost, first.host, c.host, redactor);
    if (first.port != c.port)
      fail_contradiction(f0, f, kPort, fmt::format("is {} here but {} in {}", c.port, first.port, f0));
    check_same(f0, f, kUser, first.user, c.user, redactor);
    if (first.password != c.password)
      fail_contradiction(f0, f, kPassword,
                         fmt::format("differs from the one in {} (neither is shown)", f0));
    check_same(f0, f, kRmDb, first.rm_db, c.rm_db, redactor);
    check_same(f0, f, kCmDb, first.cm_db, c.cm_db, redactor);
  }

  for (std::size_t i = 1; i < configs.size(); ++i) {
    const OmsRegion& r = configs[i].region;
    for (std::size_t j = 0; j < i; ++j) {
      const OmsRegion& earlier = configs[j].region;
      if (r.location >= 0 && r.location == earlier.location)
        fail(r.file, kLocation,
             fmt::format("{} is also the cm_location of {}; each region has its own cm_location "
                         "(0..127): check that the two files belong to different regions",
                         r.location, earlier.file));
      if (r.heartbeat_db == earlier.heartbeat_db)
        fail(r.file, kHeartbeatDb,
             fmt::format("{} is also the heartbeat database of {}; each region has its own "
                         "heartbeat database: check that the two files belong to different "
                         "regions",
                         redactor.show(r.heartbeat_db), earlier.file));
      if (r.is_default && earlier.is_default)
        fail(r.file, kIsDefault,
             fmt::format("is true here and in {}; exactly one region is the default: set "
                         "cm_is_default: false in all but one config.yaml",
                         earlier.file));
    }
  }

  OmsConfig out;
  out.connection.host = first.host;
  out.connection.port = static_cast<unsigned>(first.port);
  out.connection.user = first.user;
  out.connection.password = first.password;
  out.rm_db = first.rm_db;
  out.cm_db = first.cm_db;
  out.regions.reserve(configs.size());
  for (auto& c : configs) out.regions.push_back(std::move(c.region));
  return out;
}

}  // namespace omsbackup
