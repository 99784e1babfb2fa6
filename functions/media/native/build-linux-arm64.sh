#!/usr/bin/env bash
# Builds the media function's FFmpeg for Lambda (linux-arm64) from Debian's source packages with
# Debian's cross compiler: only what Foley reads and writes, no system library beyond glibc,
# libstdc++ and libgcc (all in Lambda's Amazon Linux 2023 runtime). The result replaces the FFmpeg
# libraries of JavaCV's stock linux-arm64 build in the layer (same sonames and symbol versions, so
# JavaCV's own JNI wrappers load it unchanged): 25.8 MB of layer becomes about 5.
#
#   functions/media/native/build-linux-arm64.sh            # writes functions/media/native/linux-arm64/
#
# Needs (Debian 12): gcc-aarch64-linux-gnu g++-aarch64-linux-gnu make pkg-config meson ninja-build, and
# the four source archives, fetched with `apt-get source --download-only` from a deb-src line for
# trixie (FFmpeg 7.1, the same major versions as JavaCV 1.5.12's 7.1.1) or put in $SOURCES by hand.
# Their SHA-256 are pinned below. The build takes about 6 minutes on 2 cores; its output is committed
# (this machine's CI has no cross compiler to spare the time for), and NativeLayerTest checks it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/linux-arm64"
# A fixed build directory: FFmpeg records its configure line, so the same paths give the same bytes.
build="${FOLEY_NATIVE_BUILD:-/tmp/foley-native-arm64}"
sources="${SOURCES:-$build/sources}"
jobs="$(nproc)"
host=aarch64-linux-gnu

FFMPEG_TAR=ffmpeg_7.1.5.orig.tar.xz
FFMPEG_SHA=de668509caf9e35e3cd162473441fdb29538c6d96ed080292b3cf9e6fc5d558f
OPENH264_TAR=openh264_2.6.0+dfsg.orig.tar.xz
OPENH264_SHA=52fc65775e03abe70f3f453c3c57fa7b31c71fe240de84da53d75f2ddc7dd519
DAV1D_TAR=dav1d_1.5.1.orig.tar.xz
DAV1D_SHA=401813f1f89fa8fd4295805aa5284d9aed9bc7fc1fdbe554af4292f64cbabe21
LAME_TAR=lame_3.100.orig.tar.gz
LAME_SHA=ddfe36cab873794038ae2c1210557ad34857a4b6bdc515785d1da9e175b1da1e

for tool in $host-gcc $host-g++ $host-strip make pkg-config meson ninja; do
  command -v "$tool" >/dev/null || { echo "build-linux-arm64: $tool is missing (apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu make pkg-config meson ninja-build)" >&2; exit 2; }
done

mkdir -p "$sources"
fetch() { # $1 archive, $2 Debian source package=version
  [ -f "$sources/$1" ] && return 0
  echo "fetching $2 (apt-get source; needs a deb-src line that has it) ..."
  (cd "$sources" && apt-get source --download-only "$2" >/dev/null 2>&1) || true
  [ -f "$sources/$1" ] || { echo "build-linux-arm64: $1 is missing from $sources" >&2; exit 2; }
}
fetch "$FFMPEG_TAR" "ffmpeg=7:7.1.5-0+deb13u1"
fetch "$OPENH264_TAR" "openh264=2.6.0+dfsg-2"
fetch "$LAME_TAR" "lame=3.100-6"
fetch "$DAV1D_TAR" "dav1d=1.5.1-1"
(cd "$sources" && sha256sum -c --quiet - <<EOF
$FFMPEG_SHA  $FFMPEG_TAR
$OPENH264_SHA  $OPENH264_TAR
$LAME_SHA  $LAME_TAR
$DAV1D_SHA  $DAV1D_TAR
EOF
)

prefix="$build/prefix"
rm -rf "$build/src" "$prefix"
mkdir -p "$build/src" "$prefix"
cd "$build/src"
tar xf "$sources/$FFMPEG_TAR"
tar xf "$sources/$OPENH264_TAR"
tar xf "$sources/$LAME_TAR"
tar xf "$sources/$DAV1D_TAR"
export SOURCE_DATE_EPOCH=1733443200
# Lambda's Amazon Linux 2023 has glibc 2.34; Debian 12's cross glibc is 2.36. Only hypot and hypotf
# gained a newer symbol version since (2.35): bind the old ones, which glibc keeps. NativeLayerTest
# checks that nothing needs more than GLIBC_2.34.
printf '%s\n' '#ifndef __ASSEMBLER__' '__asm__(".symver hypot,hypot@GLIBC_2.17");' \
  '__asm__(".symver hypotf,hypotf@GLIBC_2.17");' '#endif' > "$build/glibc-2.34.h"
compat="-include $build/glibc-2.34.h"
common_cflags="-O2 -fPIC -ffile-prefix-map=$build=. $compat"

echo "LAME (MP3 encoder), static ..."
(cd lame-3.100 && CFLAGS="$common_cflags" ./configure -q --host=$host --prefix="$prefix" --disable-shared --enable-static \
    --with-pic --disable-frontend --disable-decoder --disable-gtktest >/dev/null && make -s -j"$jobs" >/dev/null && make -s install >/dev/null)

echo "OpenH264 (H.264 encoder for the windows), static ..."
(cd openh264-2.6.0 && make -s -j"$jobs" OS=linux ARCH=arm64 CC=$host-gcc CXX=$host-g++ AR=$host-ar \
    CFLAGS_OPT="-O2" CFLAGS="-fPIC -ffile-prefix-map=$build=. $compat" PREFIX="$prefix" libopenh264.a >/dev/null \
  && make -s OS=linux ARCH=arm64 PREFIX="$prefix" install-static >/dev/null)

echo "dav1d (AV1 decoder), static ..."
cat > "$build/aarch64.meson" <<EOF
[binaries]
c = '$host-gcc'
ar = '$host-ar'
strip = '$host-strip'
[built-in options]
c_args = ['-ffile-prefix-map=$build=.', '-include', '$build/glibc-2.34.h']
[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'aarch64'
endian = 'little'
EOF
(cd dav1d-1.5.1 && meson setup build --cross-file "$build/aarch64.meson" --prefix="$prefix" --libdir=lib \
    --buildtype=release -Ddefault_library=static -Db_staticpic=true -Denable_tools=false -Denable_tests=false \
    -Denable_examples=false -Dbitdepths=8,16 >/dev/null && ninja -C build -j"$jobs" install >/dev/null)

echo "FFmpeg 7.1 (shared, only what Foley uses) ..."
# What Foley reads: the videos people film and edit (H.264, HEVC, VP8/9, AV1 (dav1d), MPEG-4, MPEG-1/2, Motion
# JPEG, ProRes in MP4/MOV, Matroska/WebM, AVI, MPEG-TS/PS) with their usual sound, and what the
# providers return (MP4/AAC, FLAC, WAV, MP3). What it writes: H.264 windows (OpenH264), MP4 with the
# picture copied, and WAV, FLAC, MP3 (LAME), M4A (AAC). Filters: turning a phone's picture upright
# (transpose, flips) and what JavaCV's filter graph is made of. Kept in step with Ffmpeg.java's lists.
decoders=h264,hevc,vp8,vp9,libdav1d,mpeg4,mpeg1video,mpeg2video,mjpeg,prores,h263
decoders+=,aac,aac_latm,mp3float,mp3,mp2float,mp2,opus,vorbis,flac,alac,ac3,eac3
decoders+=,pcm_s16le,pcm_s16be,pcm_s24le,pcm_s24be,pcm_s32le,pcm_s32be,pcm_f32le,pcm_f32be,pcm_f64le,pcm_u8,pcm_s8,pcm_alaw,pcm_mulaw
encoders=libopenh264,aac,flac,pcm_s16le,libmp3lame
demuxers=mov,matroska,avi,mpegts,mpegps,mp3,aac,flac,wav,ogg,h264,hevc
muxers=mp4,ipod,mov,wav,flac,mp3
parsers=h264,hevc,vp8,vp9,av1,mpeg4video,mpegvideo,mjpeg,h263,aac,aac_latm,mpegaudio,opus,vorbis,flac,ac3
bsfs=av1_frame_split,av1_frame_merge,aac_adtstoasc,h264_mp4toannexb,hevc_mp4toannexb,vp9_superframe,vp9_superframe_split,extract_extradata,null
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" PKG_CONFIG_PATH=""
(cd ffmpeg-7.1.5 && ./configure --prefix="$prefix" --enable-cross-compile --arch=aarch64 --target-os=linux \
    --cross-prefix=$host- --pkg-config=pkg-config --pkg-config-flags=--static \
    --enable-shared --disable-static --enable-pic --enable-version3 \
    --disable-autodetect --disable-programs --disable-doc --disable-debug --disable-network \
    --disable-everything --disable-postproc --enable-pthreads \
    --enable-protocol=file,pipe --enable-decoder=$decoders --enable-encoder=$encoders \
    --enable-demuxer=$demuxers --enable-muxer=$muxers --enable-parser=$parsers --enable-bsf=$bsfs \
    --enable-filter=abuffer,abuffersink,buffer,buffersink,aresample,aformat,format,scale,null,anull,setpts,asetpts,transpose,hflip,vflip \
    --enable-libopenh264 --enable-libmp3lame --enable-libdav1d \
    --extra-cflags="-I$prefix/include -ffile-prefix-map=$build=. $compat" --extra-ldflags="-L$prefix/lib" \
    --extra-libs="-lstdc++ -lm" >/dev/null \
  && make -s -j"$jobs" >/dev/null 2>&1 && make -s install >/dev/null)

rm -rf "$out"
mkdir -p "$out"
for lib in libavutil.so.59 libavcodec.so.61 libavformat.so.61 libavfilter.so.10 libavdevice.so.61 libswscale.so.8 libswresample.so.5; do
  cp -L "$prefix/lib/$lib" "$out/$lib"
  $host-strip --strip-unneeded "$out/$lib"
done
(cd "$out" && sha256sum lib* > SHA256SUMS)
grep -h "^FFMPEG_CONFIGURATION\|^#define FFMPEG_CONFIGURATION" "$build/src/ffmpeg-7.1.5/config.h" > "$out/CONFIGURATION" || true
du -ch "$out"/lib* | tail -1
echo "wrote $out"
