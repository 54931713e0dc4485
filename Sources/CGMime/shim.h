#include <gmime/gmime.h>

// GObject's type-check and cast macros do not import into Swift; these inline wrappers stand in
// for the few the e-mail adapter needs.
static inline gboolean cgmime_is_multipart(GMimeObject *object) { return GMIME_IS_MULTIPART(object); }
static inline gboolean cgmime_is_message_part(GMimeObject *object) { return GMIME_IS_MESSAGE_PART(object); }
static inline gboolean cgmime_is_part(GMimeObject *object) { return GMIME_IS_PART(object); }
static inline gboolean cgmime_is_mailbox(InternetAddress *address) { return INTERNET_ADDRESS_IS_MAILBOX(address); }
static inline gboolean cgmime_is_group(InternetAddress *address) { return INTERNET_ADDRESS_IS_GROUP(address); }
static inline GMimeObject *cgmime_message_object(GMimeMessage *message) { return (GMimeObject *) message; }
static inline GMimeObject *cgmime_part_object(GMimePart *part) { return (GMimeObject *) part; }
static inline GMimeObject *cgmime_text_part_object(GMimeTextPart *part) { return (GMimeObject *) part; }
static inline GMimeObject *cgmime_multipart_object(GMimeMultipart *multipart) { return (GMimeObject *) multipart; }
static inline GMimePart *cgmime_as_part(GMimeObject *object) { return GMIME_PART(object); }
static inline GMimeMultipart *cgmime_as_multipart(GMimeObject *object) { return GMIME_MULTIPART(object); }
static inline GMimeMessagePart *cgmime_as_message_part(GMimeObject *object) { return GMIME_MESSAGE_PART(object); }
static inline InternetAddressMailbox *cgmime_as_mailbox(InternetAddress *address) { return INTERNET_ADDRESS_MAILBOX(address); }
static inline InternetAddressGroup *cgmime_as_group(InternetAddress *address) { return INTERNET_ADDRESS_GROUP(address); }
static inline GByteArray *cgmime_stream_bytes(GMimeStream *stream) { return g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream)); }
static inline GMimePart *cgmime_text_part_as_part(GMimeTextPart *part) { return (GMimePart *) part; }
