// One decoded table row: the unescaped bytes of every field in one string, plus where each
// field ends and whether it is SQL NULL. Reusing a Row across rows allocates nothing once its
// buffers have grown to the largest row.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace omsbackup {

class Row {
 public:
  // Number of fields (columns).
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }

  bool is_null(std::size_t i) const { return fields_[i].null; }
  // The field's raw bytes; empty for NULL.
  std::string_view value(std::size_t i) const {
    std::size_t begin = i == 0 ? 0 : fields_[i - 1].end;
    return std::string_view(data_).substr(begin, fields_[i].end - begin);
  }

  void add_field(std::string_view bytes) {
    data_.append(bytes);
    fields_.push_back({data_.size(), false});
  }
  void add_null() { fields_.push_back({data_.size(), true}); }
  // Empties the row, keeping its capacity.
  void clear() noexcept {
    data_.clear();
    fields_.clear();
  }

  bool operator==(const Row& other) const = default;

 private:
  friend class RowDecoder;

  struct Field {
    std::size_t end;  // offset in data_ one past the field's last byte
    bool null;
    bool operator==(const Field& other) const = default;
  };

  std::string data_;
  std::vector<Field> fields_;
};

}  // namespace omsbackup
