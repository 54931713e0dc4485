#ifndef SWITCHBOARD_CCURL_SHIM_H
#define SWITCHBOARD_CCURL_SHIM_H

#include <curl/curl.h>

/*
 * Swift cannot call C variadic functions, so curl_easy_setopt, curl_multi_setopt and
 * curl_easy_getinfo are exposed through one typed wrapper per argument type.
 * Passing the wrong type for an option is undefined behaviour in curl; the wrapper
 * names make the expected type visible at each call site.
 */

/* Matches curl_write_callback / header callback: (buffer, size, nitems, userdata). */
typedef size_t (*sb_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

static inline CURLcode sb_global_init(void) {
    return curl_global_init(CURL_GLOBAL_ALL);
}

static inline CURLcode sb_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sb_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/* For string options curl copies the string (except CURLOPT_POSTFIELDS, which we avoid). */
static inline CURLcode sb_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/*
 * For CURLOPT_COPYPOSTFIELDS (binary-safe once CURLOPT_POSTFIELDSIZE_LARGE is set),
 * CURLOPT_ERRORBUFFER, CURLOPT_WRITEDATA and CURLOPT_HEADERDATA.
 */
static inline CURLcode sb_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sb_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode sb_easy_setopt_write_callback(CURL *handle, sb_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode sb_easy_setopt_header_callback(CURL *handle, sb_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

static inline CURLcode sb_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode sb_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

/* Mail (SMTP upload, IMAP session) shims. */

/* Matches curl_read_callback: (buffer, size, nitems, userdata). */
static inline CURLcode sb_easy_setopt_read_callback(CURL *handle, sb_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

/* Matches curl_debug_callback. */
typedef int (*sb_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata);

static inline CURLcode sb_easy_setopt_debug_callback(CURL *handle, sb_debug_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, callback);
}

/* CURLINFO_ACTIVESOCKET wants a curl_socket_t *, which is not a long on every platform. */
static inline CURLcode sb_easy_getinfo_socket(CURL *handle, CURLINFO info, curl_socket_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
