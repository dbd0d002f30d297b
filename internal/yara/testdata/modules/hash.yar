import "hash"
import "console"

rule md5_whole { condition: console.log("md5_whole=", hash.md5(0, filesize)) }
rule md5_empty_range { condition: console.log("md5_empty_range=", hash.md5(0, 0)) }
rule md5_at_end { condition: console.log("md5_at_end=", hash.md5(filesize, 0)) }
rule md5_past_end { condition: console.log("md5_past_end=", hash.md5(1, filesize + 7)) }
rule md5_negative { condition: console.log("md5_negative=", hash.md5(-1, 1)) }
rule md5_negative_length { condition: console.log("md5_negative_length=", hash.md5(0, -1)) }
rule md5_string { condition: console.log("md5_string=", hash.md5("abc")) }
rule md5_empty_string { condition: console.log("md5_empty_string=", hash.md5("")) }
rule md5_nul_string { condition: console.log("md5_nul_string=", hash.md5("a\x00b")) }
rule md5_equals { condition: hash.md5(0, filesize) == "5eb63bbbe01eeed093cb22bb8f5acdc3" }
rule md5_defined_empty_file { condition: defined hash.md5(0, filesize) }
rule sha1_whole { condition: console.log("sha1_whole=", hash.sha1(0, filesize)) }
rule sha1_tail { condition: console.log("sha1_tail=", hash.sha1(filesize - 2, 2)) }
rule sha1_string { condition: console.log("sha1_string=", hash.sha1("abc")) }
rule sha256_whole { condition: console.log("sha256_whole=", hash.sha256(0, filesize)) }
rule sha256_one { condition: console.log("sha256_one=", hash.sha256(0, 1)) }
rule sha256_string { condition: console.log("sha256_string=", hash.sha256("\xff\xfe")) }
rule checksum_whole { condition: console.log("checksum_whole=", hash.checksum32(0, filesize)) }
rule checksum_empty { condition: console.log("checksum_empty=", hash.checksum32(0, 0)) }
rule checksum_past_end { condition: console.log("checksum_past_end=", hash.checksum32(filesize, 1)) }
rule checksum_string { condition: console.log("checksum_string=", hash.checksum32("\xff\xff\xff")) }
rule crc_whole { condition: console.log("crc_whole=", hash.crc32(0, filesize)) }
rule crc_range { condition: console.log("crc_range=", hash.crc32(2, 5)) }
rule crc_string { condition: console.log("crc_string=", hash.crc32("123456789")) }
rule crc_empty_string { condition: console.log("crc_empty_string=", hash.crc32("")) }
rule crc_compare { condition: hash.crc32("123456789") == 0xcbf43926 }
