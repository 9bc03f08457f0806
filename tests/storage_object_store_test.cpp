// parse_image_source (what a client may name) and LocalObjectStore (never reads outside root).
#include "storage/object_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "storage/local_object_store.h"
#include "support/server_process.h"

namespace bodyshape::storage {
namespace {

namespace fs = std::filesystem;

const SourcePolicy kPolicy{.default_bucket = "images", .allowed_buckets = {"uploads", "archive"}};

ObjectRef parsed(std::string_view img_src) {
  Result<ObjectRef> ref = parse_image_source(img_src, kPolicy);
  EXPECT_TRUE(ref.ok()) << img_src << ": " << (ref ? "" : ref.error().message);
  return ref ? *ref : ObjectRef{};
}

std::string refusal(std::string_view img_src) {
  Result<ObjectRef> ref = parse_image_source(img_src, kPolicy);
  if (ref) {
    ADD_FAILURE() << "accepted '" << img_src << "' as " << ref->bucket << " / " << ref->key;
    return "";
  }
  EXPECT_EQ(ref.error().code, ErrorCode::kInvalidArgument);
  return ref.error().message;
}

TEST(ParseImageSource, KeyInTheDefaultBucket) {
  EXPECT_EQ(parsed("path/to/your/image/in/s3/bucket"),
            (ObjectRef{"images", "path/to/your/image/in/s3/bucket"}));
  EXPECT_EQ(parsed("a.jpg"), (ObjectRef{"images", "a.jpg"}));
  // Keys may hold spaces, colons, percent signs and UTF-8: they are never URL-decoded.
  EXPECT_EQ(parsed("2024-05-01T10:00:00 photo %2e%2e.jpg"),
            (ObjectRef{"images", "2024-05-01T10:00:00 photo %2e%2e.jpg"}));
  EXPECT_EQ(parsed("사진/얼굴.jpg"), (ObjectRef{"images", "사진/얼굴.jpg"}));
}

TEST(ParseImageSource, S3Url) {
  EXPECT_EQ(parsed("s3://uploads/2024/a.jpg"), (ObjectRef{"uploads", "2024/a.jpg"}));
  EXPECT_EQ(parsed("s3://images/a.jpg"), (ObjectRef{"images", "a.jpg"}));  // default: allowed
  EXPECT_EQ(parsed("S3://archive/x.png"), (ObjectRef{"archive", "x.png"}));
}

TEST(ParseImageSource, BucketSlashKeyOnlyForAllowListedBuckets) {
  EXPECT_EQ(parsed("uploads/a.jpg"), (ObjectRef{"uploads", "a.jpg"}));
  // Not allow-listed: the whole text is a key in the default bucket, never another bucket.
  EXPECT_EQ(parsed("secrets/a.jpg"), (ObjectRef{"images", "secrets/a.jpg"}));
  EXPECT_EQ(parsed("images/a.jpg"), (ObjectRef{"images", "images/a.jpg"}));
}

TEST(ParseImageSource, RefusesUrls) {
  for (const char* url :
       {"http://169.254.169.254/latest/meta-data/", "https://example.com/a.jpg",
        "HTTP://example.com/a.jpg", "//example.com/a.jpg", "ftp://host/a.jpg", "file:///etc/passwd",
        "file:/etc/passwd", "http:example.com/a.jpg", "gopher://host:70/",
        "data:image/png;base64,iVBORw0KGgo=", "custom+scheme://host/x"}) {
    EXPECT_NE(refusal(url).find("imgSrc refused"), std::string::npos) << url;
  }
  EXPECT_NE(refusal("https://example.com/a.jpg").find("URL"), std::string::npos);
}

TEST(ParseImageSource, RefusesTraversalAndOddPaths) {
  for (const char* path : {"..", "../a.jpg", "a/../../etc/passwd", "a/..", "./a.jpg", "a/./b",
                           "/etc/passwd", "a//b.jpg", "dir/", "a\\..\\b", "s3://uploads/../x",
                           "uploads/../images/a.jpg", "s3://uploads/"}) {
    refusal(path);
  }
  EXPECT_NE(refusal("a/../b").find("'..'"), std::string::npos);
}

TEST(ParseImageSource, RefusesEmptyControlCharactersAndLongKeys) {
  EXPECT_NE(refusal("").find("empty"), std::string::npos);
  EXPECT_NE(refusal(std::string_view("a\0b.jpg", 7)).find("control"), std::string::npos);
  refusal("a\nb.jpg");
  refusal("a\rb.jpg");
  refusal("a\x7f.jpg");
  refusal("s3://uploads");
  refusal(std::string(1025, 'k'));
  EXPECT_TRUE(parse_image_source(std::string(1024, 'k'), kPolicy).ok());
}

TEST(ParseImageSource, RefusesForeignAndInvalidBuckets) {
  EXPECT_NE(refusal("s3://someone-elses-bucket/a.jpg").find("not allowed"), std::string::npos);
  refusal("s3://Invalid_Bucket/a.jpg");
  refusal("s3://ab/a.jpg");
  refusal("s3:///a.jpg");
  const SourcePolicy no_default{.default_bucket = "", .allowed_buckets = {"uploads"}};
  EXPECT_FALSE(parse_image_source("a.jpg", no_default).ok());
  EXPECT_TRUE(parse_image_source("uploads/a.jpg", no_default).ok());
}

TEST(BucketNames, FollowS3Rules) {
  EXPECT_TRUE(is_valid_bucket_name("images"));
  EXPECT_TRUE(is_valid_bucket_name("my.bucket-2"));
  EXPECT_FALSE(is_valid_bucket_name("ab"));
  EXPECT_FALSE(is_valid_bucket_name(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_bucket_name("Images"));
  EXPECT_FALSE(is_valid_bucket_name("-images"));
  EXPECT_FALSE(is_valid_bucket_name("a..b"));
  EXPECT_EQ(split_bucket_list(" a-bucket, b-bucket ,,c-bucket"),
            (std::vector<std::string>{"a-bucket", "b-bucket", "c-bucket"}));
  EXPECT_TRUE(split_bucket_list("").empty());
}

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root() / "images" / "dir");
    write(root() / "images" / "a.jpg", "JPEGBYTES");
    write(root() / "images" / "dir" / "b.jpg", "B");
    write(fs::path(outside_.path()) / "secret.txt", "SECRET");
  }
  fs::path root() const { return fs::path(dir_.path()) / "objects"; }
  static void write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  static std::string text(const std::vector<uint8_t>& bytes) {
    return std::string(bytes.begin(), bytes.end());
  }

  testing::TempDir dir_;
  testing::TempDir outside_;
};

TEST_F(LocalObjectStoreTest, ReadsObjects) {
  LocalObjectStore store(root().string(), 1 << 20);
  Result<std::vector<uint8_t>> a = store.get({"images", "a.jpg"});
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(text(*a), "JPEGBYTES");
  Result<std::vector<uint8_t>> b = store.get({"images", "dir/b.jpg"});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(text(*b), "B");
  // A trailing slash on the root is the same root.
  EXPECT_TRUE(LocalObjectStore(root().string() + "/", 1 << 20).get({"images", "a.jpg"}).ok());
}

TEST_F(LocalObjectStoreTest, MissingIsNotFound) {
  LocalObjectStore store(root().string(), 1 << 20);
  EXPECT_EQ(store.get({"images", "missing.jpg"}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.get({"images", "a.jpg/under-a-file"}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.get({"nobucket", "a.jpg"}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.get({"images", "dir"}).error().code, ErrorCode::kNotFound);  // a directory
  LocalObjectStore no_root((root() / "not-created").string(), 1 << 20);
  EXPECT_EQ(no_root.get({"images", "a.jpg"}).error().code, ErrorCode::kNotFound);
}

TEST_F(LocalObjectStoreTest, RefusesTraversalInTheRef) {
  // Refs that did not come through parse_image_source are checked again.
  LocalObjectStore store(root().string(), 1 << 20);
  for (const ObjectRef& ref :
       {ObjectRef{"images", "../../secret.txt"}, ObjectRef{"images", "/etc/passwd"},
        ObjectRef{"..", "x"}, ObjectRef{"images", "dir/../../images/a.jpg"},
        ObjectRef{"images", std::string("a.jpg\0x", 7)}}) {
    Result<std::vector<uint8_t>> got = store.get(ref);
    ASSERT_FALSE(got.ok()) << ref.key;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument) << ref.key;
  }
}

TEST_F(LocalObjectStoreTest, RefusesSymlinksOutOfRoot) {
  const fs::path secret = fs::path(outside_.path()) / "secret.txt";
  fs::create_symlink(secret, root() / "images" / "link.jpg");
  fs::create_directory_symlink(outside_.path(), root() / "images" / "linkdir");
  fs::create_directory_symlink(outside_.path(), root() / "evil");  // a whole bucket
  LocalObjectStore store(root().string(), 1 << 20);
  for (const ObjectRef& ref :
       {ObjectRef{"images", "link.jpg"}, ObjectRef{"images", "linkdir/secret.txt"},
        ObjectRef{"evil", "secret.txt"}}) {
    Result<std::vector<uint8_t>> got = store.get(ref);
    ASSERT_FALSE(got.ok()) << ref.bucket << "/" << ref.key;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(got.error().message.find("outside"), std::string::npos) << got.error().message;
  }
}

TEST_F(LocalObjectStoreTest, SymlinkInsideRootIsFollowed) {
  fs::create_symlink(root() / "images" / "a.jpg", root() / "images" / "alias.jpg");
  LocalObjectStore store(root().string(), 1 << 20);
  Result<std::vector<uint8_t>> got = store.get({"images", "alias.jpg"});
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(text(*got), "JPEGBYTES");
}

TEST_F(LocalObjectStoreTest, RootThroughASymlinkStillWorks) {
  const fs::path link = fs::path(outside_.path()) / "root-link";
  fs::create_directory_symlink(root(), link);
  LocalObjectStore store(link.string(), 1 << 20);
  EXPECT_TRUE(store.get({"images", "a.jpg"}).ok());
}

TEST_F(LocalObjectStoreTest, SizeLimit) {
  LocalObjectStore exact(root().string(), 9);
  EXPECT_TRUE(exact.get({"images", "a.jpg"}).ok());
  LocalObjectStore small(root().string(), 8);
  Result<std::vector<uint8_t>> got = small.get({"images", "a.jpg"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kResourceExhausted);
}

TEST_F(LocalObjectStoreTest, EmptyObjectIsEmpty) {
  write(root() / "images" / "empty.jpg", "");
  LocalObjectStore store(root().string(), 1 << 20);
  Result<std::vector<uint8_t>> got = store.get({"images", "empty.jpg"});
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
}

TEST(OpenObjectStore, EmptyEndpointIsLocalAndBadEndpointIsRefused) {
  testing::TempDir dir;
  Result<std::unique_ptr<ObjectStore>> local =
      open_object_store({.endpoint = "", .local_root = dir.path()}, nullptr);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ((*local)->get({"images", "x.jpg"}).error().code, ErrorCode::kNotFound);
  for (const char* endpoint :
       {"ftp://host", "localhost:9000", "http://host/path", "http://user@host"}) {
    Result<std::unique_ptr<ObjectStore>> store = open_object_store({.endpoint = endpoint}, nullptr);
    ASSERT_FALSE(store.ok()) << endpoint;
    EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace bodyshape::storage
