<?xml version="1.0" encoding="UTF-8"?>
<!--
  openTRANS 2.1 ORDER (and openTRANS 1.0 ORDER) -> canonical order
  (formats/canonical/canonical.xsd, field table and rules in docs/canonical.md).

  Read leniently (issue 3, §2): real documents break the openTRANS XSD, so elements are
  found by local-name() whatever their namespace (a missing or wrong bmecat: prefix, or
  1.0 documents without any namespace, read the same), in any order, and empty elements
  count as absent. Roles of parties come from the *_IDREF elements where they name a
  PARTY_ID, else from PARTY_ROLE; an IDREF that names no party is kept in extension.

  Values are moved as strings. The only changes are: a decimal comma becomes a point; a
  date with a blank instead of T gets the T (the text as sent stays in @original); and a
  fraction (bmecat:TAX 0.19, DISCOUNT_FACTOR, AOC_PERCENTAGE_FACTOR) becomes a percent by
  moving the decimal point two places as text, which is exact. Totals that were not sent
  are listed in totals/@missing, never computed. Content that has no canonical field is
  copied into extension as received.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns="urn:edi-gateway:canonical:1">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:variable name="ot21" select="'http://www.opentrans.org/XMLSchema/2.1'"/>
  <xsl:variable name="ot10" select="'http://www.opentrans.org/XMLSchema/1.0'"/>

  <xsl:template match="/">
    <xsl:variable name="root" select="*"/>
    <xsl:if test="local-name($root) != 'ORDER' or not(namespace-uri($root) = $ot21
                  or namespace-uri($root) = $ot10 or namespace-uri($root) = '')">
      <xsl:message terminate="yes">
        <xsl:value-of select="concat('not an openTRANS ORDER: {', namespace-uri($root), '}',
                              local-name($root))"/>
      </xsl:message>
    </xsl:if>
    <xsl:apply-templates select="$root" mode="order"/>
  </xsl:template>

  <xsl:template match="*" mode="order">
    <xsl:variable name="header" select="*[local-name() = 'ORDER_HEADER']"/>
    <xsl:variable name="info" select="$header/*[local-name() = 'ORDER_INFO']"/>
    <xsl:variable name="items" select="*[local-name() = 'ORDER_ITEM_LIST']/*[local-name() = 'ORDER_ITEM']"/>
    <xsl:variable name="summary" select="*[local-name() = 'ORDER_SUMMARY']"/>
    <xsl:variable name="parties" select="$info/*[local-name() = 'PARTIES']/*[local-name() = 'PARTY']"/>
    <xsl:variable name="refs" select="$info/*[local-name() = 'ORDER_PARTIES_REFERENCE']"/>
    <xsl:variable name="ship" select="$refs/*[local-name() = 'SHIPMENT_PARTIES_REFERENCE']"/>
    <xsl:variable name="idrefs" select="$refs/*[local-name() = 'BUYER_IDREF' or local-name() = 'SUPPLIER_IDREF'
                                        or local-name() = 'INVOICE_RECIPIENT_IDREF']
                                        | $ship/*[local-name() = 'DELIVERY_IDREF' or local-name() = 'FINAL_DELIVERY_IDREF']"/>
    <!-- The PARTY chosen for each role, as generate-id() (empty: none). -->
    <xsl:variable name="by">
      <xsl:call-template name="pick">
        <xsl:with-param name="parties" select="$parties"/>
        <xsl:with-param name="idref" select="$refs/*[local-name() = 'BUYER_IDREF']"/>
        <xsl:with-param name="role" select="'buyer'"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="su">
      <xsl:call-template name="pick">
        <xsl:with-param name="parties" select="$parties"/>
        <xsl:with-param name="idref" select="$refs/*[local-name() = 'SUPPLIER_IDREF']"/>
        <xsl:with-param name="role" select="'supplier'"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="iv">
      <xsl:call-template name="pick">
        <xsl:with-param name="parties" select="$parties"/>
        <xsl:with-param name="idref" select="$refs/*[local-name() = 'INVOICE_RECIPIENT_IDREF']"/>
        <xsl:with-param name="role" select="'invoice_recipient'"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="dp">
      <xsl:call-template name="pick">
        <xsl:with-param name="parties" select="$parties"/>
        <xsl:with-param name="idref" select="$ship/*[local-name() = 'DELIVERY_IDREF']"/>
        <xsl:with-param name="role" select="'delivery'"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="uc">
      <xsl:call-template name="pick">
        <xsl:with-param name="parties" select="$parties"/>
        <xsl:with-param name="idref" select="$ship/*[local-name() = 'FINAL_DELIVERY_IDREF']"/>
        <xsl:with-param name="role" select="'final_delivery'"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="chosen" select="concat('|', $by, '|', $su, '|', $iv, '|', $dp, '|', $uc, '|')"/>

    <order source="{normalize-space(concat('openTRANS ', @version, ' ORDER'))}">
      <kind>order</kind>
      <xsl:if test="normalize-space(@type)">
        <type code="{@type}">
          <xsl:choose>
            <xsl:when test="@type = 'standard' or @type = 'express' or @type = 'release'
                            or @type = 'consignment'"><xsl:value-of select="@type"/></xsl:when>
            <xsl:otherwise>other</xsl:otherwise>
          </xsl:choose>
        </type>
      </xsl:if>
      <number><xsl:value-of select="$info/*[local-name() = 'ORDER_ID']"/></number>
      <xsl:apply-templates select="$info/*[local-name() = 'ORDER_DATE']" mode="date">
        <xsl:with-param name="role" select="'document'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="$info/*[local-name() = 'DELIVERY_DATE']" mode="delivery"/>
      <xsl:for-each select="($info/*[local-name() = 'CURRENCY' or local-name() = 'PRICE_CURRENCY'])[1]">
        <xsl:if test="string-length(normalize-space()) = 3
                      and translate(normalize-space(), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = ''">
          <currency><xsl:value-of select="normalize-space()"/></currency>
        </xsl:if>
      </xsl:for-each>
      <xsl:apply-templates select="$header/*[local-name() = 'SOURCING_INFO'] | $info/*[local-name() = 'CUSTOMER_ORDER_REFERENCE']"
                           mode="reference"/>
      <xsl:apply-templates select="$info/*[local-name() = 'REMARKS' or local-name() = 'REMARK'][normalize-space()]"
                           mode="text"/>
      <xsl:apply-templates select="$info/*[local-name() = 'PAYMENT']//*[local-name() = 'PAYMENT_TERMS'
                                   or (local-name() = 'PAYMENT_TERM' and not(parent::*[local-name() = 'PAYMENT_TERMS']))]"
                           mode="payment"/>

      <!-- openTRANS 2.1: one party per role, found through the IDREFs. -->
      <xsl:call-template name="role-party">
        <xsl:with-param name="party" select="$parties[generate-id() = $by]"/>
        <xsl:with-param name="idref" select="$refs/*[local-name() = 'BUYER_IDREF']"/>
        <xsl:with-param name="role" select="'buyer'"/>
      </xsl:call-template>
      <xsl:call-template name="role-party">
        <xsl:with-param name="party" select="$parties[generate-id() = $su]"/>
        <xsl:with-param name="idref" select="$refs/*[local-name() = 'SUPPLIER_IDREF']"/>
        <xsl:with-param name="role" select="'supplier'"/>
      </xsl:call-template>
      <xsl:call-template name="role-party">
        <xsl:with-param name="party" select="$parties[generate-id() = $dp]"/>
        <xsl:with-param name="idref" select="$ship/*[local-name() = 'DELIVERY_IDREF']"/>
        <xsl:with-param name="role" select="'delivery'"/>
      </xsl:call-template>
      <xsl:call-template name="role-party">
        <xsl:with-param name="party" select="$parties[generate-id() = $iv]"/>
        <xsl:with-param name="idref" select="$refs/*[local-name() = 'INVOICE_RECIPIENT_IDREF']"/>
        <xsl:with-param name="role" select="'invoicee'"/>
      </xsl:call-template>
      <xsl:call-template name="role-party">
        <xsl:with-param name="party" select="$parties[generate-id() = $uc]"/>
        <xsl:with-param name="idref" select="$ship/*[local-name() = 'FINAL_DELIVERY_IDREF']"/>
        <xsl:with-param name="role" select="'final_delivery'"/>
      </xsl:call-template>
      <!-- Parties in a role the canonical model has no name for (deliverer, manufacturer...). -->
      <xsl:for-each select="$parties[not(contains($chosen, concat('|', generate-id(), '|')))]">
        <xsl:variable name="r" select="normalize-space(*[local-name() = 'PARTY_ROLE'])"/>
        <xsl:if test="not($r = 'buyer' or $r = 'supplier' or $r = 'invoice_recipient'
                      or $r = 'delivery' or $r = 'final_delivery')">
          <xsl:apply-templates select="." mode="party">
            <xsl:with-param name="role" select="'other'"/>
            <xsl:with-param name="qualifier" select="$r"/>
          </xsl:apply-templates>
        </xsl:if>
      </xsl:for-each>
      <!-- openTRANS 1.0: the wrapper element says the role. -->
      <xsl:for-each select="$info/*[local-name() = 'ORDER_PARTIES']//*[local-name() = 'PARTY']">
        <xsl:variable name="w" select="local-name(..)"/>
        <xsl:apply-templates select="." mode="party">
          <xsl:with-param name="role">
            <xsl:choose>
              <xsl:when test="$w = 'BUYER_PARTY'">buyer</xsl:when>
              <xsl:when test="$w = 'SUPPLIER_PARTY'">supplier</xsl:when>
              <xsl:when test="$w = 'INVOICE_PARTY'">invoicee</xsl:when>
              <xsl:when test="$w = 'DELIVERY_PARTY'">delivery</xsl:when>
              <xsl:when test="$w = 'FINAL_DELIVERY_PARTY'">final_delivery</xsl:when>
              <xsl:otherwise>other</xsl:otherwise>
            </xsl:choose>
          </xsl:with-param>
          <xsl:with-param name="qualifier" select="$w"/>
        </xsl:apply-templates>
      </xsl:for-each>

      <xsl:apply-templates select="$items" mode="line"/>

      <xsl:variable name="count" select="$summary/*[local-name() = 'TOTAL_ITEM_NUM']
                                         [translate(normalize-space(), '0123456789', '') = ''][normalize-space()]"/>
      <xsl:variable name="amount">
        <xsl:call-template name="decimal">
          <xsl:with-param name="v" select="$summary/*[local-name() = 'TOTAL_AMOUNT']"/>
        </xsl:call-template>
      </xsl:variable>
      <totals>
        <xsl:variable name="missing"
                      select="normalize-space(concat(substring('lineCount', 1, 9 * not($count)), ' ',
                              substring('lineAmountTotal', 1, 15 * ($amount = ''))))"/>
        <xsl:if test="$missing != ''">
          <xsl:attribute name="missing"><xsl:value-of select="$missing"/></xsl:attribute>
        </xsl:if>
        <xsl:if test="$count"><lineCount><xsl:value-of select="normalize-space($count)"/></lineCount></xsl:if>
        <xsl:if test="$amount != ''"><lineAmountTotal><xsl:value-of select="$amount"/></lineAmountTotal></xsl:if>
      </totals>

      <xsl:variable name="unresolved"
                    select="$idrefs[normalize-space()][not(normalize-space() = $parties/*[local-name() = 'PARTY_ID'])]"/>
      <xsl:call-template name="extension">
        <xsl:with-param name="nodes"
                        select="$header/*[local-name() != 'ORDER_INFO' and local-name() != 'SOURCING_INFO']
                                | $header/*[local-name() = 'SOURCING_INFO']/*[local-name() != 'QUOTATION_ID']
                                | $info/*[not(local-name() = 'ORDER_ID' or local-name() = 'ORDER_DATE'
                                  or local-name() = 'DELIVERY_DATE' or local-name() = 'PARTIES'
                                  or local-name() = 'ORDER_PARTIES' or local-name() = 'ORDER_PARTIES_REFERENCE'
                                  or local-name() = 'CUSTOMER_ORDER_REFERENCE' or local-name() = 'CURRENCY'
                                  or local-name() = 'PRICE_CURRENCY' or local-name() = 'REMARKS'
                                  or local-name() = 'REMARK' or local-name() = 'PAYMENT')]
                                | $info/*[local-name() = 'PAYMENT'][*[local-name() != 'PAYMENT_TERMS']]
                                | $parties[not(contains($chosen, concat('|', generate-id(), '|')))]
                                  [*[local-name() = 'PARTY_ROLE'] = 'buyer' or *[local-name() = 'PARTY_ROLE'] = 'supplier'
                                   or *[local-name() = 'PARTY_ROLE'] = 'invoice_recipient'
                                   or *[local-name() = 'PARTY_ROLE'] = 'delivery'
                                   or *[local-name() = 'PARTY_ROLE'] = 'final_delivery']
                                | $refs/*[local-name() = 'DELIVERER_IDREF'] | $ship/*[local-name() = 'DELIVERER_IDREF']
                                | $unresolved
                                | $summary/*[local-name() != 'TOTAL_ITEM_NUM' and local-name() != 'TOTAL_AMOUNT']"/>
        <xsl:with-param name="dates" select="$info/*[local-name() = 'ORDER_DATE' or local-name() = 'DELIVERY_DATE']"/>
      </xsl:call-template>
    </order>
  </xsl:template>

  <!-- ==== values ==================================================================== -->

  <!-- A decimal as DecimalText, or nothing when the text is not a plain decimal number
       (the element is then kept in extension by its caller's rules, or left out). -->
  <xsl:template name="decimal">
    <xsl:param name="v"/>
    <xsl:variable name="p" select="translate(normalize-space($v), ',', '.')"/>
    <xsl:variable name="b">
      <xsl:choose>
        <xsl:when test="starts-with($p, '-')"><xsl:value-of select="substring($p, 2)"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$p"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:if test="$b != '' and (translate($b, '0123456789', '') = '' or translate($b, '0123456789', '') = '.')
                  and not(starts-with($b, '.')) and substring($b, string-length($b)) != '.'">
      <xsl:value-of select="$p"/>
    </xsl:if>
  </xsl:template>

  <!-- A fraction as a percent (0.19 -> 19, 0.075 -> 7.5) by moving the decimal point two
       places in the text: exact, no arithmetic. Nothing when the input is no decimal. -->
  <xsl:template name="percent">
    <xsl:param name="v"/>
    <xsl:variable name="d">
      <xsl:call-template name="decimal"><xsl:with-param name="v" select="$v"/></xsl:call-template>
    </xsl:variable>
    <xsl:if test="$d != ''">
      <xsl:variable name="b" select="translate($d, '-', '')"/>
      <xsl:variable name="f" select="substring-after($b, '.')"/>
      <xsl:variable name="int">
        <xsl:call-template name="strip-zeros">
          <xsl:with-param name="s" select="concat(substring-before(concat($b, '.'), '.'),
                                           substring(concat($f, '00'), 1, 2))"/>
        </xsl:call-template>
      </xsl:variable>
      <xsl:variable name="rest" select="substring($f, 3)"/>
      <xsl:value-of select="concat(substring('-', 1, number(starts-with($d, '-'))), $int,
                            substring('.', 1, number($rest != '')), $rest)"/>
    </xsl:if>
  </xsl:template>

  <xsl:template name="strip-zeros">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="string-length($s) > 1 and starts-with($s, '0')">
        <xsl:call-template name="strip-zeros"><xsl:with-param name="s" select="substring($s, 2)"/></xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ISO 8601 as the canonical schema takes it, from bmecat dtDATETIME as sent: a blank
       instead of T becomes T, fractional seconds are left out (the text as sent is kept in
       @original). Nothing when the text is not such a date. -->
  <xsl:template name="iso-date">
    <xsl:param name="v"/>
    <xsl:variable name="t" select="normalize-space($v)"/>
    <xsl:variable name="date" select="substring($t, 1, 10)"/>
    <xsl:variable name="time" select="substring($t, 12, 5)"/>
    <xsl:variable name="r1" select="substring($t, 17)"/>
    <xsl:variable name="sec" select="substring($r1, 1, 3 * number(starts-with($r1, ':')))"/>
    <xsl:variable name="r2" select="substring($r1, string-length($sec) + 1)"/>
    <xsl:variable name="zone">
      <xsl:choose>
        <xsl:when test="contains($r2, 'Z')">Z</xsl:when>
        <xsl:when test="contains($r2, '+')"><xsl:value-of select="concat('+', substring-after($r2, '+'))"/></xsl:when>
        <xsl:when test="contains($r2, '-')"><xsl:value-of select="concat('-', substring-after($r2, '-'))"/></xsl:when>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="frac" select="substring($r2, 1, string-length($r2) - string-length($zone))"/>
    <xsl:variable name="digits" select="'0123456789'"/>
    <xsl:choose>
      <xsl:when test="translate($date, $digits, 'dddddddddd') != 'dddd-dd-dd'"/>
      <xsl:when test="string-length($t) = 10"><xsl:value-of select="$date"/></xsl:when>
      <xsl:when test="not(substring($t, 11, 1) = 'T' or substring($t, 11, 1) = ' ')
                      or translate($time, $digits, 'dddddddddd') != 'dd:dd'
                      or ($sec != '' and translate($sec, $digits, 'dddddddddd') != ':dd')
                      or ($frac != '' and not(starts-with($frac, '.') and string-length($frac) > 1
                          and translate(substring($frac, 2), $digits, '') = ''))
                      or not($zone = '' or $zone = 'Z'
                          or translate(substring($zone, 2), $digits, 'dddddddddd') = 'dd:dd')"/>
      <xsl:otherwise><xsl:value-of select="concat($date, 'T', $time, $sec, $zone)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="*" mode="date">
    <xsl:param name="role"/>
    <xsl:param name="qualifier"/>
    <xsl:variable name="iso">
      <xsl:call-template name="iso-date"><xsl:with-param name="v" select="."/></xsl:call-template>
    </xsl:variable>
    <xsl:if test="$iso != ''">
      <date role="{$role}" format="dtDATETIME" original="{.}">
        <xsl:if test="normalize-space($qualifier)">
          <xsl:attribute name="qualifier"><xsl:value-of select="$qualifier"/></xsl:attribute>
        </xsl:if>
        <xsl:value-of select="$iso"/>
      </date>
    </xsl:if>
  </xsl:template>

  <!-- DELIVERY_DATE: one requested date when start and end are the same, else a window. -->
  <xsl:template match="*" mode="delivery">
    <xsl:variable name="start" select="*[local-name() = 'DELIVERY_START_DATE']"/>
    <xsl:variable name="end" select="*[local-name() = 'DELIVERY_END_DATE']"/>
    <xsl:choose>
      <xsl:when test="normalize-space($start) = normalize-space($end)">
        <xsl:apply-templates select="$start" mode="date">
          <xsl:with-param name="role" select="'delivery_requested'"/>
          <xsl:with-param name="qualifier" select="@type"/>
        </xsl:apply-templates>
      </xsl:when>
      <xsl:otherwise>
        <xsl:apply-templates select="$start" mode="date">
          <xsl:with-param name="role" select="'delivery_earliest'"/>
          <xsl:with-param name="qualifier" select="@type"/>
        </xsl:apply-templates>
        <xsl:apply-templates select="$end" mode="date">
          <xsl:with-param name="role" select="'delivery_latest'"/>
          <xsl:with-param name="qualifier" select="@type"/>
        </xsl:apply-templates>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- UN/ECE Rec 20 for a unit as sent: PCE (EANCOM) is C62 and HR (hour, old) is HUR;
       a code that cannot be Rec 20 is kept only as sent. -->
  <xsl:template name="unit-attributes">
    <xsl:param name="u"/>
    <xsl:variable name="s" select="normalize-space($u)"/>
    <xsl:if test="$s != ''">
      <xsl:choose>
        <xsl:when test="$s = 'PCE'"><xsl:attribute name="unit">C62</xsl:attribute></xsl:when>
        <xsl:when test="$s = 'HR'"><xsl:attribute name="unit">HUR</xsl:attribute></xsl:when>
        <xsl:when test="string-length($s) >= 2 and string-length($s) &lt;= 3
                        and translate($s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', '') = ''">
          <xsl:attribute name="unit"><xsl:value-of select="$s"/></xsl:attribute>
        </xsl:when>
      </xsl:choose>
      <xsl:attribute name="unitAsSent"><xsl:value-of select="$u"/></xsl:attribute>
    </xsl:if>
  </xsl:template>

  <!-- ==== references, texts, payment terms ========================================== -->

  <!-- SOURCING_INFO (QUOTATION_ID, AGREEMENT_ID) or CUSTOMER_ORDER_REFERENCE. -->
  <xsl:template match="*" mode="reference">
    <xsl:for-each select="*[local-name() = 'QUOTATION_ID'][normalize-space()]">
      <reference kind="quotation" qualifier="QUOTATION_ID"><xsl:value-of select="."/></reference>
    </xsl:for-each>
    <xsl:for-each select="*[local-name() = 'AGREEMENT']/*[local-name() = 'AGREEMENT_ID'][normalize-space()]">
      <reference kind="contract" qualifier="AGREEMENT_ID"><xsl:value-of select="."/></reference>
    </xsl:for-each>
    <xsl:for-each select="self::*[local-name() = 'CUSTOMER_ORDER_REFERENCE']/*[local-name() = 'ORDER_ID'][normalize-space()]">
      <reference kind="customer_order" qualifier="CUSTOMER_ORDER_REFERENCE">
        <xsl:if test="normalize-space(../*[local-name() = 'LINE_ITEM_ID'])">
          <xsl:attribute name="line"><xsl:value-of select="../*[local-name() = 'LINE_ITEM_ID']"/></xsl:attribute>
        </xsl:if>
        <xsl:value-of select="."/>
      </reference>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="*" mode="text">
    <text>
      <xsl:if test="normalize-space(@type)">
        <xsl:attribute name="qualifier"><xsl:value-of select="@type"/></xsl:attribute>
      </xsl:if>
      <xsl:value-of select="."/>
    </text>
  </xsl:template>

  <!-- PAYMENT_TERMS: one paymentTerms per TIME_FOR_PAYMENT (days and discount), the
       PAYMENT_TERM texts with the first; a bare PAYMENT_TERM (1.0) is text only. -->
  <xsl:template match="*" mode="payment">
    <xsl:variable name="texts" select="self::*[local-name() = 'PAYMENT_TERM'][normalize-space()]
                                       | *[local-name() = 'PAYMENT_TERM'][normalize-space()]"/>
    <xsl:variable name="times" select="*[local-name() = 'TIME_FOR_PAYMENT']"/>
    <xsl:if test="$texts and not($times)">
      <paymentTerms>
        <xsl:for-each select="$texts"><text><xsl:value-of select="."/></text></xsl:for-each>
      </paymentTerms>
    </xsl:if>
    <xsl:for-each select="$times">
      <paymentTerms>
        <xsl:if test="position() = 1">
          <xsl:for-each select="$texts"><text><xsl:value-of select="."/></text></xsl:for-each>
        </xsl:if>
        <xsl:for-each select="(../*[local-name() = 'VALUE_DATE'])[1]">
          <xsl:variable name="iso">
            <xsl:call-template name="iso-date"><xsl:with-param name="v" select="."/></xsl:call-template>
          </xsl:variable>
          <xsl:if test="$iso != ''">
            <dueDate format="dtDATETIME" original="{.}"><xsl:value-of select="$iso"/></dueDate>
          </xsl:if>
        </xsl:for-each>
        <xsl:for-each select="*[local-name() = 'DAYS'][normalize-space()]
                              [translate(normalize-space(), '0123456789', '') = '']">
          <periodDays><xsl:value-of select="normalize-space()"/></periodDays>
        </xsl:for-each>
        <xsl:variable name="pct">
          <xsl:call-template name="percent">
            <xsl:with-param name="v" select="*[local-name() = 'DISCOUNT_FACTOR']"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:if test="$pct != ''"><discountPercent><xsl:value-of select="$pct"/></discountPercent></xsl:if>
      </paymentTerms>
    </xsl:for-each>
  </xsl:template>

  <!-- ==== parties =================================================================== -->

  <!-- The PARTY for an openTRANS role: the one whose PARTY_ID the IDREF names (preferring
       one that also has the PARTY_ROLE, since ERPs send one id for buyer, invoice
       recipient and delivery), else the first with the PARTY_ROLE. -->
  <xsl:template name="pick">
    <xsl:param name="parties"/>
    <xsl:param name="idref"/>
    <xsl:param name="role"/>
    <xsl:variable name="ref" select="normalize-space($idref[1])"/>
    <xsl:variable name="byId" select="$parties[$ref != ''][*[local-name() = 'PARTY_ID'][normalize-space() = $ref]]"/>
    <xsl:variable name="both" select="$byId[normalize-space(*[local-name() = 'PARTY_ROLE']) = $role][1]"/>
    <xsl:variable name="p" select="$both | $byId[not($both)][1]
                                   | $parties[not($byId)][normalize-space(*[local-name() = 'PARTY_ROLE']) = $role][1]"/>
    <xsl:value-of select="generate-id($p)"/>
  </xsl:template>

  <!-- The party in a role, or the IDREF's id alone when no PARTY was found for it. -->
  <xsl:template name="role-party">
    <xsl:param name="party"/>
    <xsl:param name="idref"/>
    <xsl:param name="role"/>
    <xsl:choose>
      <xsl:when test="$party">
        <xsl:apply-templates select="$party" mode="party">
          <xsl:with-param name="role" select="$role"/>
          <xsl:with-param name="qualifier" select="normalize-space($party/*[local-name() = 'PARTY_ROLE'])"/>
        </xsl:apply-templates>
      </xsl:when>
      <xsl:when test="normalize-space($idref[1])">
        <party role="{$role}">
          <xsl:apply-templates select="$idref[1]" mode="party-id"/>
        </party>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="*" mode="party-id">
    <xsl:variable name="t" select="normalize-space(@type)"/>
    <id>
      <xsl:attribute name="scheme">
        <xsl:choose>
          <xsl:when test="$t = 'gln' or $t = 'iln'">gln</xsl:when>
          <xsl:when test="$t = 'duns'">duns</xsl:when>
          <xsl:when test="$t = 'buyer_specific'">buyer_specific</xsl:when>
          <xsl:when test="$t = 'supplier_specific'">supplier_specific</xsl:when>
          <xsl:otherwise>other</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:if test="$t != ''"><xsl:attribute name="agency"><xsl:value-of select="@type"/></xsl:attribute></xsl:if>
      <xsl:value-of select="normalize-space()"/>
    </id>
  </xsl:template>

  <xsl:template match="*" mode="party">
    <xsl:param name="role"/>
    <xsl:param name="qualifier"/>
    <xsl:variable name="a" select="*[local-name() = 'ADDRESS'][1]"/>
    <party role="{$role}">
      <xsl:if test="$qualifier != ''">
        <xsl:attribute name="qualifier"><xsl:value-of select="$qualifier"/></xsl:attribute>
      </xsl:if>
      <xsl:apply-templates select="*[local-name() = 'PARTY_ID'][normalize-space()]" mode="party-id"/>
      <xsl:for-each select="$a/*[local-name() = 'VAT_ID'][normalize-space()]">
        <id scheme="vat"><xsl:value-of select="normalize-space()"/></id>
      </xsl:for-each>
      <xsl:for-each select="$a/*[local-name() = 'TAX_NUMBER'][normalize-space()]">
        <id scheme="tax_number"><xsl:value-of select="normalize-space()"/></id>
      </xsl:for-each>
      <xsl:for-each select="$a/*[local-name() = 'NAME' or local-name() = 'NAME2' or local-name() = 'NAME3']
                            [normalize-space()][position() &lt;= 5]">
        <name><xsl:value-of select="."/></name>
      </xsl:for-each>
      <xsl:for-each select="($a/*[local-name() = 'DEPARTMENT'][normalize-space()])[1]">
        <department><xsl:value-of select="."/></department>
      </xsl:for-each>
      <xsl:for-each select="$a/*[local-name() = 'STREET'][normalize-space()][position() &lt;= 4]">
        <street><xsl:value-of select="."/></street>
      </xsl:for-each>
      <xsl:for-each select="($a/*[local-name() = 'ZIP'][normalize-space()])[1]">
        <postcode><xsl:value-of select="."/></postcode>
      </xsl:for-each>
      <xsl:for-each select="($a/*[local-name() = 'CITY'][normalize-space()])[1]">
        <city><xsl:value-of select="."/></city>
      </xsl:for-each>
      <xsl:for-each select="($a/*[local-name() = 'STATE'][normalize-space()])[1]">
        <countrySubdivision><xsl:value-of select="."/></countrySubdivision>
      </xsl:for-each>
      <!-- Leniently: 'DE ' with a trailing blank is DE. -->
      <xsl:for-each select="($a/*[local-name() = 'COUNTRY_CODED'])[1]
                            [string-length(normalize-space()) = 2]
                            [translate(normalize-space(), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = '']">
        <country><xsl:value-of select="normalize-space()"/></country>
      </xsl:for-each>
      <xsl:apply-templates select="$a/*[local-name() = 'CONTACT_DETAILS' or local-name() = 'CONTACT']" mode="contact"/>
      <!-- The address's own phone, fax and e-mail, as a contact without a name. -->
      <xsl:if test="$a/*[local-name() = 'PHONE' or local-name() = 'FAX' or local-name() = 'EMAIL'][normalize-space()]">
        <contact>
          <xsl:call-template name="channels"><xsl:with-param name="c" select="$a"/></xsl:call-template>
        </contact>
      </xsl:if>
    </party>
  </xsl:template>

  <!-- CONTACT_DETAILS (2.1) or CONTACT (1.0, with CONTACT_NAME or just a name as text).
       The name is FIRST_NAME and CONTACT_NAME (the surname) joined with a blank. -->
  <xsl:template match="*" mode="contact">
    <xsl:variable name="role" select="(*[local-name() = 'CONTACT_ROLE'])[1]"/>
    <xsl:variable name="name">
      <xsl:choose>
        <xsl:when test="*"><xsl:value-of select="normalize-space(concat(*[local-name() = 'FIRST_NAME'][1], ' ',
                                                 *[local-name() = 'CONTACT_NAME'][1]))"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="normalize-space()"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <contact>
      <xsl:choose>
        <xsl:when test="normalize-space($role/@type)">
          <xsl:attribute name="function"><xsl:value-of select="$role/@type"/></xsl:attribute>
        </xsl:when>
        <xsl:when test="normalize-space($role)">
          <xsl:attribute name="function"><xsl:value-of select="$role"/></xsl:attribute>
        </xsl:when>
      </xsl:choose>
      <xsl:if test="$name != ''"><name><xsl:value-of select="$name"/></name></xsl:if>
      <xsl:for-each select="($role[@type][normalize-space()])[1]">
        <department><xsl:value-of select="."/></department>
      </xsl:for-each>
      <xsl:call-template name="channels"><xsl:with-param name="c" select="."/></xsl:call-template>
    </contact>
  </xsl:template>

  <!-- PHONE, FAX and EMAIL, also EMAILS holding the address as text (Plica) instead of
       EMAIL elements. -->
  <xsl:template name="channels">
    <xsl:param name="c"/>
    <xsl:for-each select="$c/*[local-name() = 'PHONE'][normalize-space()]">
      <phone><xsl:value-of select="normalize-space()"/></phone>
    </xsl:for-each>
    <xsl:for-each select="$c/*[local-name() = 'FAX'][normalize-space()]">
      <fax><xsl:value-of select="normalize-space()"/></fax>
    </xsl:for-each>
    <xsl:for-each select="$c/*[local-name() = 'EMAIL'][normalize-space()]
                          | $c/*[local-name() = 'EMAILS']/*[local-name() = 'EMAIL'][normalize-space()]
                          | $c/*[local-name() = 'EMAILS'][not(*)][normalize-space()]">
      <email><xsl:value-of select="normalize-space()"/></email>
    </xsl:for-each>
  </xsl:template>

  <!-- ==== lines ===================================================================== -->

  <xsl:template match="*" mode="line">
    <!-- PRODUCT_ID (2.1) or ARTICLE_ID (1.0); PRODUCT_PRICE_FIX or ARTICLE_PRICE. -->
    <xsl:variable name="pid" select="*[local-name() = 'PRODUCT_ID' or local-name() = 'ARTICLE_ID']"/>
    <xsl:variable name="price" select="(*[local-name() = 'PRODUCT_PRICE_FIX' or local-name() = 'ARTICLE_PRICE'])[1]"/>
    <xsl:variable name="gtin" select="($pid/*[local-name() = 'INTERNATIONAL_PID' or local-name() = 'INTERNATIONAL_AID']
                                      [@type = 'gtin' or @type = 'ean' or @type = 'GTIN' or @type = 'EAN']
                                      [normalize-space()] | $pid/*[local-name() = 'EAN'][normalize-space()])[1]"/>
    <xsl:variable name="taxes" select="$price/*[local-name() = 'TAX_DETAILS_FIX' or local-name() = 'TAX_DETAILS']"/>
    <xsl:variable name="qty">
      <xsl:call-template name="decimal"><xsl:with-param name="v" select="*[local-name() = 'QUANTITY']"/></xsl:call-template>
    </xsl:variable>
    <xsl:variable name="amount">
      <xsl:call-template name="decimal">
        <xsl:with-param name="v" select="*[local-name() = 'PRICE_LINE_AMOUNT'] | $price/*[local-name() = 'PRICE_LINE_AMOUNT']"/>
      </xsl:call-template>
    </xsl:variable>
    <line>
      <number>
        <xsl:choose>
          <xsl:when test="normalize-space(*[local-name() = 'LINE_ITEM_ID'])">
            <xsl:value-of select="*[local-name() = 'LINE_ITEM_ID']"/>
          </xsl:when>
          <!-- No line number sent: its position, so that answers can still refer to it. -->
          <xsl:otherwise><xsl:value-of select="count(preceding-sibling::*[local-name() = 'ORDER_ITEM']) + 1"/></xsl:otherwise>
        </xsl:choose>
      </number>
      <xsl:for-each select="$gtin"><gtin><xsl:value-of select="normalize-space()"/></gtin></xsl:for-each>
      <xsl:for-each select="($pid/*[local-name() = 'SUPPLIER_PID' or local-name() = 'SUPPLIER_AID'][normalize-space()])[1]">
        <supplierArticle><xsl:value-of select="."/></supplierArticle>
      </xsl:for-each>
      <xsl:for-each select="($pid/*[local-name() = 'BUYER_PID' or local-name() = 'BUYER_AID'][normalize-space()])[1]">
        <buyerArticle><xsl:value-of select="."/></buyerArticle>
      </xsl:for-each>
      <xsl:for-each select="($pid/*[local-name() = 'MANUFACTURER_INFO']/*[local-name() = 'MANUFACTURER_PID']
                             | $pid/*[local-name() = 'MANUFACTURER_AID'])[normalize-space()][1]">
        <manufacturerArticle><xsl:value-of select="."/></manufacturerArticle>
      </xsl:for-each>
      <xsl:for-each select="$pid/*[local-name() = 'DESCRIPTION_SHORT' or local-name() = 'DESCRIPTION_LONG'][normalize-space()]">
        <description qualifier="{local-name()}"><xsl:value-of select="."/></description>
      </xsl:for-each>
      <xsl:if test="$qty != ''">
        <quantity>
          <xsl:call-template name="unit-attributes">
            <xsl:with-param name="u" select="*[local-name() = 'ORDER_UNIT']"/>
          </xsl:call-template>
          <xsl:value-of select="$qty"/>
        </quantity>
      </xsl:if>
      <xsl:apply-templates select="$price" mode="price"/>
      <xsl:if test="$amount != ''"><lineAmount><xsl:value-of select="$amount"/></lineAmount></xsl:if>
      <xsl:apply-templates select="$taxes | $price[not($taxes)]/*[local-name() = 'TAX']" mode="tax"/>
      <xsl:apply-templates select="$price/*[local-name() = 'ALLOW_OR_CHARGES_FIX']/*[local-name() = 'ALLOW_OR_CHARGE']"
                           mode="alc"/>
      <xsl:apply-templates select="*[local-name() = 'DELIVERY_DATE']" mode="delivery"/>
      <xsl:apply-templates select="*[local-name() = 'SOURCING_INFO' or local-name() = 'CUSTOMER_ORDER_REFERENCE']"
                           mode="reference"/>
      <xsl:apply-templates select="*[local-name() = 'REMARKS' or local-name() = 'REMARK'][normalize-space()]" mode="text"/>
      <xsl:variable name="badTax">
        <xsl:for-each select="$taxes">
          <xsl:variable name="c"><xsl:apply-templates select="." mode="category"/></xsl:variable>
          <xsl:if test="$c = '' and normalize-space(*[local-name() = 'TAX_CATEGORY'])">x</xsl:if>
        </xsl:for-each>
      </xsl:variable>
      <xsl:call-template name="extension">
        <xsl:with-param name="nodes"
                        select="*[not(local-name() = 'LINE_ITEM_ID' or local-name() = 'PRODUCT_ID'
                                  or local-name() = 'ARTICLE_ID' or local-name() = 'QUANTITY'
                                  or local-name() = 'ORDER_UNIT' or local-name() = 'PRODUCT_PRICE_FIX'
                                  or local-name() = 'ARTICLE_PRICE' or local-name() = 'PRICE_LINE_AMOUNT'
                                  or local-name() = 'DELIVERY_DATE' or local-name() = 'SOURCING_INFO'
                                  or local-name() = 'CUSTOMER_ORDER_REFERENCE' or local-name() = 'REMARKS'
                                  or local-name() = 'REMARK')]
                                | *[local-name() = 'QUANTITY'][$qty = '']
                                | *[local-name() = 'SOURCING_INFO']/*[local-name() != 'QUOTATION_ID']
                                | $pid/*[not(local-name() = 'SUPPLIER_PID' or local-name() = 'SUPPLIER_AID'
                                  or local-name() = 'BUYER_PID' or local-name() = 'BUYER_AID'
                                  or local-name() = 'DESCRIPTION_SHORT' or local-name() = 'DESCRIPTION_LONG'
                                  or local-name() = 'MANUFACTURER_INFO' or local-name() = 'MANUFACTURER_AID')]
                                  [count(. | $gtin) != count($gtin)]
                                | $pid/*[local-name() = 'BUYER_PID' or local-name() = 'BUYER_AID'][position() > 1]
                                | $pid/*[local-name() = 'MANUFACTURER_INFO']/*[local-name() != 'MANUFACTURER_PID']
                                | $price/*[not(local-name() = 'PRICE_AMOUNT' or local-name() = 'PRICE_QUANTITY'
                                  or local-name() = 'PRICE_LINE_AMOUNT' or local-name() = 'TAX_DETAILS_FIX'
                                  or local-name() = 'TAX_DETAILS' or local-name() = 'TAX'
                                  or local-name() = 'ALLOW_OR_CHARGES_FIX')]
                                | $taxes[$badTax != '']"/>
        <xsl:with-param name="dates" select="*[local-name() = 'DELIVERY_DATE']"/>
      </xsl:call-template>
    </line>
  </xsl:template>

  <!-- PRODUCT_PRICE_FIX / ARTICLE_PRICE: PRICE_AMOUNT per PRICE_QUANTITY units (the price
       basis, e.g. 100); a 1.0 ARTICLE_PRICE of a gross_* type is a gross price. -->
  <xsl:template match="*" mode="price">
    <xsl:variable name="p">
      <xsl:call-template name="decimal"><xsl:with-param name="v" select="*[local-name() = 'PRICE_AMOUNT']"/></xsl:call-template>
    </xsl:variable>
    <xsl:variable name="basis">
      <xsl:call-template name="decimal"><xsl:with-param name="v" select="*[local-name() = 'PRICE_QUANTITY']"/></xsl:call-template>
    </xsl:variable>
    <xsl:if test="$p != ''">
      <xsl:element name="{substring('netPrice', 1, 8 * not(starts-with(@type, 'gross')))}{substring('grossPrice', 1, 10 * starts-with(@type, 'gross'))}">
        <xsl:if test="$basis != ''"><xsl:attribute name="basisQuantity"><xsl:value-of select="$basis"/></xsl:attribute></xsl:if>
        <xsl:value-of select="$p"/>
      </xsl:element>
    </xsl:if>
  </xsl:template>

  <!-- UNCL 5305 for the openTRANS TAX_CATEGORY words that have one meaning; reduced rates
       differ by country and partner, so they are not guessed (the tax goes to extension). -->
  <xsl:template match="*" mode="category">
    <xsl:variable name="c" select="normalize-space(*[local-name() = 'TAX_CATEGORY'])"/>
    <xsl:choose>
      <xsl:when test="$c = 'standard_rate'">S</xsl:when>
      <xsl:when test="$c = 'zero_rate'">Z</xsl:when>
      <xsl:when test="$c = 'exemption'">E</xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- TAX_DETAILS_FIX (or a bare 1.0 TAX): the rate is a fraction, written as a percent. -->
  <xsl:template match="*" mode="tax">
    <xsl:variable name="fraction" select="self::*[local-name() = 'TAX'] | *[local-name() = 'TAX']"/>
    <xsl:variable name="rate">
      <xsl:call-template name="percent"><xsl:with-param name="v" select="$fraction"/></xsl:call-template>
    </xsl:variable>
    <xsl:variable name="cat"><xsl:apply-templates select="." mode="category"/></xsl:variable>
    <xsl:variable name="basis">
      <xsl:call-template name="decimal"><xsl:with-param name="v" select="*[local-name() = 'TAX_BASE']"/></xsl:call-template>
    </xsl:variable>
    <xsl:variable name="amount">
      <xsl:call-template name="decimal"><xsl:with-param name="v" select="*[local-name() = 'TAX_AMOUNT']"/></xsl:call-template>
    </xsl:variable>
    <tax>
      <xsl:if test="normalize-space(*[local-name() = 'TAX_TYPE'])">
        <xsl:attribute name="type"><xsl:value-of select="*[local-name() = 'TAX_TYPE']"/></xsl:attribute>
      </xsl:if>
      <xsl:if test="$cat != ''"><category><xsl:value-of select="$cat"/></category></xsl:if>
      <xsl:if test="$rate != ''"><ratePercent><xsl:value-of select="$rate"/></ratePercent></xsl:if>
      <xsl:if test="$basis != ''"><basisAmount><xsl:value-of select="$basis"/></basisAmount></xsl:if>
      <xsl:if test="$amount != ''"><amount><xsl:value-of select="$amount"/></amount></xsl:if>
    </tax>
  </xsl:template>

  <xsl:template match="*" mode="alc">
    <xsl:variable name="v" select="*[local-name() = 'ALLOW_OR_CHARGE_VALUE']"/>
    <xsl:variable name="pct">
      <xsl:call-template name="percent">
        <xsl:with-param name="v" select="$v/*[local-name() = 'AOC_PERCENTAGE_FACTOR']"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="amount">
      <xsl:call-template name="decimal">
        <xsl:with-param name="v" select="$v/*[local-name() = 'AOC_MONETARY_AMOUNT']"/>
      </xsl:call-template>
    </xsl:variable>
    <allowanceCharge qualifier="{@type}">
      <xsl:attribute name="kind">
        <xsl:choose>
          <xsl:when test="@type = 'surcharge' or @type = 'charge'">charge</xsl:when>
          <xsl:otherwise>allowance</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:variable name="name" select="*[local-name() = 'ALLOW_OR_CHARGE_NAME']"/>
      <xsl:variable name="type" select="*[local-name() = 'ALLOW_OR_CHARGE_TYPE']"/>
      <xsl:if test="normalize-space($name) or normalize-space($type)">
        <reason>
          <xsl:if test="normalize-space($type)">
            <xsl:attribute name="qualifier"><xsl:value-of select="$type"/></xsl:attribute>
          </xsl:if>
          <xsl:value-of select="$name"/>
        </reason>
      </xsl:if>
      <xsl:if test="$pct != ''"><percent><xsl:value-of select="$pct"/></percent></xsl:if>
      <xsl:if test="$amount != ''"><amount><xsl:value-of select="$amount"/></amount></xsl:if>
    </allowanceCharge>
  </xsl:template>

  <!-- ==== extension: what was received and not mapped =============================== -->

  <!-- Empty elements (Plica sends many: <MIME_INFO/>, <NAME3/>) carry nothing and are not
       kept; neither are comments. -->
  <xsl:template name="extension">
    <xsl:param name="nodes"/>
    <xsl:param name="dates"/>
    <xsl:variable name="kept" select="$nodes[normalize-space() or @* or .//@*]"/>
    <!-- ORDER_DATE or DELIVERY_DATE whose text is not ISO 8601 even read leniently. -->
    <xsl:variable name="bad">
      <xsl:for-each select="$dates[normalize-space()]">
        <xsl:variable name="d">
          <xsl:choose>
            <xsl:when test="local-name() = 'DELIVERY_DATE'"><xsl:apply-templates select="." mode="delivery"/></xsl:when>
            <xsl:otherwise><xsl:apply-templates select="." mode="date"/></xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:if test="string($d) = ''"><xsl:copy-of select="."/></xsl:if>
      </xsl:for-each>
    </xsl:variable>
    <xsl:if test="$kept or string($bad) != ''">
      <extension source="opentrans">
        <xsl:copy-of select="$kept"/>
        <xsl:copy-of select="$bad"/>
      </extension>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
