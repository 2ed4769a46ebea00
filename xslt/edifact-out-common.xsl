<?xml version="1.0" encoding="UTF-8"?>
<!--
  What the canonical -> EDIFACT stylesheets share (docs/canonical.md "canonical -> EDIFACT
  ORDRSP, DESADV, INVOIC, ORDERS"), included with xsl:include by canonical-to-ordrsp.xsl,
  canonical-to-desadv.xsl, canonical-to-invoic.xsl and canonical-to-orders.xsl.
  It owns the parameters every outbound message takes, the interchange envelope (UNB/UNZ)
  and the message frame (UNH/UNT) of the EDIFACT-XML tree (docs/edifact-xml.md), and the
  segments whose layout does not depend on the message: NAD with its RFF group, DTM, CUX,
  RFF, units. Values are moved as strings; nothing is computed. Separators, character
  encoding and line breaks are the serializer's (edi_writer_options), not ours.

  The including stylesheet defines:
    $message-type      'ORDRSP', 'DESADV', 'INVOIC' or 'ORDERS'
    $root-name         the canonical root it maps: 'orderResponse', 'despatchAdvice', ...
    $ean97-association, $ean02-association  the EANCOM code used when none is given
    $sender-role, $recipient-role  the canonical party roles the envelope addresses
    a template matching its canonical root in mode "body": the segments between UNH and UNT.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:edi-gateway:canonical:1"
                xmlns="urn:edi-gateway:edifact-xml:1"
                exclude-result-prefixes="c">

  <xsl:param name="control-ref" select="'1'"/>
  <xsl:param name="datetime" select="''"/>
  <xsl:param name="message-ref" select="'1'"/>
  <xsl:param name="directory" select="'D96A'"/>
  <!-- '' : the EANCOM default of the message type and directory; 'none': plain UN. -->
  <xsl:param name="association" select="''"/>
  <xsl:param name="syntax-id" select="'UNOC'"/>
  <xsl:param name="syntax-version" select="'3'"/>
  <xsl:param name="sender-id" select="''"/>
  <xsl:param name="sender-qualifier" select="''"/>
  <xsl:param name="recipient-id" select="''"/>
  <xsl:param name="recipient-qualifier" select="''"/>

  <xsl:variable name="ns" select="'urn:edi-gateway:edifact-xml:1'"/>
  <xsl:variable name="d01b" select="$directory = 'D01B'"/>
  <xsl:variable name="release">
    <xsl:choose>
      <xsl:when test="$d01b">01B</xsl:when>
      <xsl:otherwise>96A</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="ean" select="$association != 'none'"/>
  <xsl:variable name="assoc">
    <xsl:choose>
      <xsl:when test="not($ean)"/>
      <xsl:when test="string($association)"><xsl:value-of select="$association"/></xsl:when>
      <xsl:when test="$d01b"><xsl:value-of select="$ean02-association"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="$ean97-association"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <xsl:variable name="doc" select="/*[namespace-uri() = 'urn:edi-gateway:canonical:1']"/>
  <xsl:variable name="sender-gln"
                select="$doc/c:party[@role = $sender-role]/c:id[@scheme = 'gln'][1]"/>
  <xsl:variable name="recipient-gln"
                select="$doc/c:party[@role = $recipient-role]/c:id[@scheme = 'gln'][1]"/>
  <xsl:variable name="sender">
    <xsl:choose>
      <xsl:when test="string($sender-id)"><xsl:value-of select="$sender-id"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="$sender-gln"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="recipient">
    <xsl:choose>
      <xsl:when test="string($recipient-id)"><xsl:value-of select="$recipient-id"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="$recipient-gln"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <!-- One interchange with one message. The checks come first: a message without a
       sender or recipient, or with parameters out of their range, is not written. -->
  <xsl:template match="/">
    <xsl:if test="not($doc) or local-name($doc) != $root-name">
      <xsl:message terminate="yes">the document is not a canonical <xsl:value-of select="$root-name"/></xsl:message>
    </xsl:if>
    <xsl:if test="$directory != 'D96A' and $directory != 'D01B'">
      <xsl:message terminate="yes">the parameter directory must be D96A or D01B</xsl:message>
    </xsl:if>
    <xsl:if test="$ean and not(starts-with($assoc, 'EAN'))">
      <xsl:message terminate="yes">the parameter association must be an EANCOM code (EAN...) or none</xsl:message>
    </xsl:if>
    <xsl:if test="$syntax-version != '3' and $syntax-version != '4'">
      <xsl:message terminate="yes">the parameter syntax-version must be 3 or 4</xsl:message>
    </xsl:if>
    <xsl:if test="string-length($datetime) != 13 or substring($datetime, 9, 1) != ':'
                  or string-length(translate($datetime, '0123456789', '')) != 1">
      <xsl:message terminate="yes">the parameter datetime must be CCYYMMDD:HHMM</xsl:message>
    </xsl:if>
    <!-- The envelope addresses partners by GLN (qualifier 14) unless the caller names them;
         without both there is no one to send the message to. -->
    <xsl:if test="not(string($sender)) or not(string($recipient))">
      <xsl:message terminate="yes">the <xsl:value-of select="$message-type"/> needs the GLN of the <xsl:value-of select="$sender-role"/> (sender) and of the <xsl:value-of select="$recipient-role"/> (recipient), or the parameters sender-id and recipient-id</xsl:message>
    </xsl:if>
    <edifact>
      <interchange syntax="{$syntax-id}" version="{$syntax-version}">
        <UNB>
          <S001><D0001><xsl:value-of select="$syntax-id"/></D0001><D0002><xsl:value-of select="$syntax-version"/></D0002></S001>
          <S002>
            <D0004><xsl:value-of select="$sender"/></D0004>
            <xsl:call-template name="partner-qualifier">
              <xsl:with-param name="given" select="$sender-qualifier"/>
              <xsl:with-param name="id-given" select="$sender-id"/>
            </xsl:call-template>
          </S002>
          <S003>
            <D0010><xsl:value-of select="$recipient"/></D0010>
            <xsl:call-template name="partner-qualifier">
              <xsl:with-param name="given" select="$recipient-qualifier"/>
              <xsl:with-param name="id-given" select="$recipient-id"/>
            </xsl:call-template>
          </S003>
          <!-- Syntax version 3 dates the interchange YYMMDD, version 4 CCYYMMDD. -->
          <S004>
            <D0017>
              <xsl:choose>
                <xsl:when test="$syntax-version = '4'"><xsl:value-of select="substring($datetime, 1, 8)"/></xsl:when>
                <xsl:otherwise><xsl:value-of select="substring($datetime, 3, 6)"/></xsl:otherwise>
              </xsl:choose>
            </D0017>
            <D0019><xsl:value-of select="substring($datetime, 10, 4)"/></D0019>
          </S004>
          <D0020><xsl:value-of select="$control-ref"/></D0020>
        </UNB>
        <message type="{$message-type}" version="D" release="{$release}" agency="UN">
          <xsl:if test="$ean">
            <xsl:attribute name="association"><xsl:value-of select="$assoc"/></xsl:attribute>
          </xsl:if>
          <UNH>
            <D0062><xsl:value-of select="$message-ref"/></D0062>
            <S009>
              <D0065><xsl:value-of select="$message-type"/></D0065><D0052>D</D0052>
              <D0054><xsl:value-of select="$release"/></D0054><D0051>UN</D0051>
              <xsl:if test="$ean"><D0057><xsl:value-of select="$assoc"/></D0057></xsl:if>
            </S009>
          </UNH>
          <xsl:apply-templates select="$doc" mode="body"/>
          <UNT><D0074/><D0062><xsl:value-of select="$message-ref"/></D0062></UNT>
        </message>
        <UNZ><D0036/><D0020><xsl:value-of select="$control-ref"/></D0020></UNZ>
      </interchange>
    </edifact>
  </xsl:template>

  <!-- 0007: as given; else 14 (GS1) for a GLN taken from the document; an identification
       the caller gave without a qualifier gets none. -->
  <xsl:template name="partner-qualifier">
    <xsl:param name="given"/>
    <xsl:param name="id-given"/>
    <xsl:choose>
      <xsl:when test="string($given)"><D0007><xsl:value-of select="$given"/></D0007></xsl:when>
      <xsl:when test="not(string($id-given))"><D0007>14</D0007></xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- BGM: D.96A has 1004 as a simple element, D.01B inside C106. -->
  <xsl:template name="bgm">
    <xsl:param name="code"/>
    <xsl:param name="number"/>
    <xsl:param name="function"/>
    <BGM>
      <C002><D1001><xsl:value-of select="$code"/></D1001></C002>
      <xsl:choose>
        <xsl:when test="$d01b"><C106><D1004><xsl:value-of select="$number"/></D1004></C106></xsl:when>
        <xsl:otherwise><D1004><xsl:value-of select="$number"/></D1004></xsl:otherwise>
      </xsl:choose>
      <xsl:if test="string($function)"><D1225><xsl:value-of select="$function"/></D1225></xsl:if>
    </BGM>
  </xsl:template>

  <!-- DTM for the current date element: the text as received when its format is 102 or
       203, else the ISO date rewritten as 102 (date) or 203 (date and time; seconds and
       offset are not representable in 203 and are dropped). -->
  <xsl:template name="dtm">
    <xsl:param name="qualifier"/>
    <DTM>
      <C507>
        <D2005><xsl:value-of select="$qualifier"/></D2005>
        <xsl:choose>
          <xsl:when test="(@format = '102' or @format = '203') and string(@original)">
            <D2380><xsl:value-of select="@original"/></D2380>
            <D2379><xsl:value-of select="@format"/></D2379>
          </xsl:when>
          <xsl:when test="contains(., 'T')">
            <D2380><xsl:value-of select="translate(substring(., 1, 16), '-T:', '')"/></D2380>
            <D2379>203</D2379>
          </xsl:when>
          <xsl:otherwise>
            <D2380><xsl:value-of select="translate(substring(., 1, 10), '-', '')"/></D2380>
            <D2379>102</D2379>
          </xsl:otherwise>
        </xsl:choose>
      </C507>
    </DTM>
  </xsl:template>

  <!-- A date given as ISO text in $iso (a dueDate, a reference's date) as DTM 102. -->
  <xsl:template name="dtm-iso">
    <xsl:param name="qualifier"/>
    <xsl:param name="iso"/>
    <DTM>
      <C507>
        <D2005><xsl:value-of select="$qualifier"/></D2005>
        <D2380><xsl:value-of select="translate(substring($iso, 1, 10), '-', '')"/></D2380>
        <D2379>102</D2379>
      </C507>
    </DTM>
  </xsl:template>

  <!-- DTM 263 with format 718 (CCYYMMDD-CCYYMMDD), the invoicing period: EANCOM has no
       194/206, so the period is written only when it has both ends. -->
  <xsl:template name="dtm-period">
    <xsl:param name="start"/>
    <xsl:param name="end"/>
    <xsl:if test="$start and $end">
      <DTM>
        <C507>
          <D2005>263</D2005>
          <D2380><xsl:value-of select="concat(translate(substring($start, 1, 10), '-', ''), '-', translate(substring($end, 1, 10), '-', ''))"/></D2380>
          <D2379>718</D2379>
        </C507>
      </DTM>
    </xsl:if>
  </xsl:template>

  <!-- The canonical date role as the DTM 2005 qualifier of the message; '' when the
       message has none for it. -->
  <xsl:template name="date-qualifier">
    <xsl:param name="role"/>
    <xsl:choose>
      <xsl:when test="$role = 'delivery_requested'">2</xsl:when>
      <xsl:when test="$role = 'delivery_earliest'">64</xsl:when>
      <xsl:when test="$role = 'delivery_latest'">63</xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- RFF 1153 for a canonical reference: by kind; `other` keeps the qualifier as sent. -->
  <xsl:template name="reference-qualifier">
    <xsl:choose>
      <xsl:when test="@kind = 'customer_order'">ON</xsl:when>
      <xsl:when test="@kind = 'supplier_order'">VN</xsl:when>
      <xsl:when test="@kind = 'contract'">CT</xsl:when>
      <xsl:when test="@kind = 'quotation'">AAG</xsl:when>
      <xsl:when test="@kind = 'blanket_order'">BO</xsl:when>
      <xsl:when test="@kind = 'promotion'">PD</xsl:when>
      <xsl:when test="@kind = 'despatch_advice'">AAK</xsl:when>
      <xsl:when test="@kind = 'invoice'">IV</xsl:when>
      <xsl:when test="@kind = 'other' and string(@qualifier)"><xsl:value-of select="@qualifier"/></xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- One RFF in a group named $group for the current reference (1154, and the line in
       1156), with its date as DTM 171 when it has one. References whose kind has no
       qualifier are left out. -->
  <xsl:template name="rff-group">
    <xsl:param name="group"/>
    <xsl:param name="with-date" select="true()"/>
    <xsl:variable name="q"><xsl:call-template name="reference-qualifier"/></xsl:variable>
    <xsl:if test="string($q)">
      <xsl:element name="{$group}" namespace="{$ns}">
        <RFF>
          <C506>
            <D1153><xsl:value-of select="$q"/></D1153>
            <D1154><xsl:value-of select="."/></D1154>
            <xsl:if test="string(@line)"><D1156><xsl:value-of select="@line"/></D1156></xsl:if>
          </C506>
        </RFF>
        <xsl:if test="$with-date and string(@date)">
          <xsl:call-template name="dtm-iso">
            <xsl:with-param name="qualifier" select="'171'"/>
            <xsl:with-param name="iso" select="@date"/>
          </xsl:call-template>
        </xsl:if>
      </xsl:element>
    </xsl:if>
  </xsl:template>

  <!-- NAD 3035 for a canonical party role; '' for roles the messages do not address. -->
  <xsl:template name="party-qualifier">
    <xsl:param name="role"/>
    <xsl:choose>
      <xsl:when test="$role = 'buyer'">BY</xsl:when>
      <xsl:when test="$role = 'supplier'">SU</xsl:when>
      <xsl:when test="$role = 'delivery'">DP</xsl:when>
      <xsl:when test="$role = 'invoicee'">IV</xsl:when>
      <xsl:when test="$role = 'final_delivery'">UC</xsl:when>
      <xsl:when test="$role = 'ship_from'">SF</xsl:when>
      <xsl:when test="$role = 'payer'">PR</xsl:when>
      <xsl:when test="$role = 'payee'">PE</xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- Texts into components of at most 35 characters (an..35): each text starts a new
       component and a longer one continues in the next, as EDIFACT senders split names and
       streets; more than `max` components stop the mapping rather than lose the rest. -->
  <xsl:template name="an35-parts">
    <xsl:param name="texts"/>
    <xsl:param name="element"/>
    <xsl:param name="max"/>
    <xsl:param name="what"/>
    <xsl:param name="i" select="1"/>
    <xsl:param name="rest" select="''"/>
    <xsl:param name="written" select="0"/>
    <xsl:choose>
      <xsl:when test="$rest = '' and $i > count($texts)"/>
      <xsl:when test="$written = $max">
        <xsl:message terminate="yes">the <xsl:value-of select="$what"/> "<xsl:value-of select="$texts[1]"/>..." does not fit in <xsl:value-of select="$max"/> components of 35 characters</xsl:message>
      </xsl:when>
      <xsl:when test="$rest = ''">
        <xsl:call-template name="an35-parts">
          <xsl:with-param name="texts" select="$texts"/>
          <xsl:with-param name="element" select="$element"/>
          <xsl:with-param name="max" select="$max"/>
          <xsl:with-param name="what" select="$what"/>
          <xsl:with-param name="i" select="$i + 1"/>
          <xsl:with-param name="rest" select="string($texts[$i])"/>
          <xsl:with-param name="written" select="$written"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:element name="{$element}" namespace="{$ns}"><xsl:value-of select="substring($rest, 1, 35)"/></xsl:element>
        <xsl:call-template name="an35-parts">
          <xsl:with-param name="texts" select="$texts"/>
          <xsl:with-param name="element" select="$element"/>
          <xsl:with-param name="max" select="$max"/>
          <xsl:with-param name="what" select="$what"/>
          <xsl:with-param name="i" select="$i"/>
          <xsl:with-param name="rest" select="substring($rest, 36)"/>
          <xsl:with-param name="written" select="$written + 1"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The party group: NAD with the GLN (3055 9), names, streets, city, subdivision
       (D.01B: in C819), postcode, country; C058 stays empty because EANCOM does not use
       it. With $rff-group, the VAT id and (with $tax-number: some EANCOM subsets have no
       FC) the tax number follow as RFF VA and FC. -->
  <xsl:template name="nad">
    <xsl:param name="group"/>
    <xsl:param name="rff-group" select="''"/>
    <xsl:param name="tax-number" select="true()"/>
    <xsl:variable name="q">
      <xsl:call-template name="party-qualifier"><xsl:with-param name="role" select="@role"/></xsl:call-template>
    </xsl:variable>
    <xsl:element name="{$group}" namespace="{$ns}">
      <NAD>
        <D3035><xsl:value-of select="$q"/></D3035>
        <C082>
          <xsl:if test="c:id[@scheme='gln']">
            <D3039><xsl:value-of select="c:id[@scheme='gln'][1]"/></D3039><D1131/><D3055>9</D3055>
          </xsl:if>
        </C082>
        <C058/>
        <C080>
          <xsl:call-template name="an35-parts">
            <xsl:with-param name="texts" select="c:name"/>
            <xsl:with-param name="element" select="'D3036'"/>
            <xsl:with-param name="max" select="5"/>
            <xsl:with-param name="what" select="'party name'"/>
          </xsl:call-template>
        </C080>
        <C059>
          <xsl:call-template name="an35-parts">
            <xsl:with-param name="texts" select="c:street"/>
            <xsl:with-param name="element" select="'D3042'"/>
            <xsl:with-param name="max" select="4"/>
            <xsl:with-param name="what" select="'street'"/>
          </xsl:call-template>
        </C059>
        <D3164><xsl:value-of select="c:city"/></D3164>
        <xsl:choose>
          <xsl:when test="$d01b">
            <C819><xsl:if test="c:countrySubdivision"><D3229><xsl:value-of select="c:countrySubdivision"/></D3229></xsl:if></C819>
          </xsl:when>
          <xsl:otherwise><D3229><xsl:value-of select="c:countrySubdivision"/></D3229></xsl:otherwise>
        </xsl:choose>
        <D3251><xsl:value-of select="c:postcode"/></D3251>
        <D3207><xsl:value-of select="c:country"/></D3207>
      </NAD>
      <xsl:if test="string($rff-group)">
        <xsl:for-each select="c:id[@scheme='vat'][1]">
          <xsl:element name="{$rff-group}" namespace="{$ns}">
            <RFF><C506><D1153>VA</D1153><D1154><xsl:value-of select="."/></D1154></C506></RFF>
          </xsl:element>
        </xsl:for-each>
        <xsl:for-each select="c:id[@scheme='tax_number'][$tax-number][1]">
          <xsl:element name="{$rff-group}" namespace="{$ns}">
            <RFF><C506><D1153>FC</D1153><D1154><xsl:value-of select="."/></D1154></C506></RFF>
          </xsl:element>
        </xsl:for-each>
      </xsl:if>
    </xsl:element>
  </xsl:template>

  <!-- The parties of $roles (a blank-separated list, in that order), each in its group. -->
  <xsl:template name="parties">
    <xsl:param name="roles"/>
    <xsl:param name="group"/>
    <xsl:param name="rff-group" select="''"/>
    <xsl:param name="tax-number" select="true()"/>
    <xsl:variable name="role" select="substring-before(concat(normalize-space($roles), ' '), ' ')"/>
    <xsl:if test="string($role)">
      <xsl:for-each select="c:party[@role = $role]">
        <xsl:call-template name="nad">
          <xsl:with-param name="group" select="$group"/>
          <xsl:with-param name="rff-group" select="$rff-group"/>
          <xsl:with-param name="tax-number" select="$tax-number"/>
        </xsl:call-template>
      </xsl:for-each>
      <xsl:call-template name="parties">
        <xsl:with-param name="roles" select="substring-after(normalize-space($roles), ' ')"/>
        <xsl:with-param name="group" select="$group"/>
        <xsl:with-param name="rff-group" select="$rff-group"/>
        <xsl:with-param name="tax-number" select="$tax-number"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- CUX 2 (reference currency) with 6343 $type: 9 order currency, 4 invoicing currency. -->
  <xsl:template name="cux">
    <xsl:param name="group"/>
    <xsl:param name="type"/>
    <xsl:for-each select="c:currency">
      <xsl:element name="{$group}" namespace="{$ns}">
        <CUX><C504><D6347>2</D6347><D6345><xsl:value-of select="."/></D6345><D6343><xsl:value-of select="$type"/></D6343></C504></CUX>
      </xsl:element>
    </xsl:for-each>
  </xsl:template>

  <!-- The unit as the partner sent it; else the Rec 20 code, with C62 and H87 written as
       PCE in EANCOM, whose unit lists have PCE and not C62. -->
  <xsl:template name="unit">
    <xsl:param name="as-sent"/>
    <xsl:param name="rec20"/>
    <xsl:choose>
      <xsl:when test="string($as-sent)"><xsl:value-of select="$as-sent"/></xsl:when>
      <xsl:when test="$ean and ($rec20 = 'C62' or $rec20 = 'H87')">PCE</xsl:when>
      <xsl:otherwise><xsl:value-of select="$rec20"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- QTY with qualifier $qualifier for the current quantity element. -->
  <xsl:template name="qty">
    <xsl:param name="qualifier"/>
    <QTY>
      <C186>
        <D6063><xsl:value-of select="$qualifier"/></D6063>
        <D6060><xsl:value-of select="."/></D6060>
        <D6411>
          <xsl:call-template name="unit">
            <xsl:with-param name="as-sent" select="@unitAsSent"/>
            <xsl:with-param name="rec20" select="@unit"/>
          </xsl:call-template>
        </D6411>
      </C186>
    </QTY>
  </xsl:template>

  <!-- PRI with 5125 $qualifier for the current price element: 5118, basis 5284 and its
       unit. -->
  <xsl:template name="pri">
    <xsl:param name="qualifier"/>
    <PRI>
      <C509>
        <D5125><xsl:value-of select="$qualifier"/></D5125>
        <D5118><xsl:value-of select="."/></D5118>
        <D5375/>
        <D5387/>
        <D5284><xsl:value-of select="@basisQuantity"/></D5284>
        <D6411>
          <xsl:call-template name="unit">
            <xsl:with-param name="as-sent" select="@basisUnitAsSent"/>
            <xsl:with-param name="rec20" select="@basisUnit"/>
          </xsl:call-template>
        </D6411>
      </C509>
    </PRI>
  </xsl:template>

  <!-- LIN: 1082, 1229 $action, the GTIN in C212 (7143 EN). -->
  <xsl:template name="lin">
    <xsl:param name="action" select="''"/>
    <LIN>
      <D1082><xsl:value-of select="c:number"/></D1082>
      <D1229><xsl:value-of select="$action"/></D1229>
      <C212>
        <xsl:if test="c:gtin">
          <D7140><xsl:value-of select="c:gtin"/></D7140><D7143>EN</D7143>
        </xsl:if>
      </C212>
    </LIN>
  </xsl:template>

  <!-- PIA 1 (additional identification) for the supplier's (SA) and buyer's (IN) article
       numbers. -->
  <xsl:template name="pia">
    <xsl:if test="c:supplierArticle">
      <PIA><D4347>1</D4347><C212><D7140><xsl:value-of select="c:supplierArticle"/></D7140><D7143>SA</D7143></C212></PIA>
    </xsl:if>
    <xsl:if test="c:buyerArticle">
      <PIA><D4347>1</D4347><C212><D7140><xsl:value-of select="c:buyerArticle"/></D7140><D7143>IN</D7143></C212></PIA>
    </xsl:if>
  </xsl:template>

  <!-- IMD F (free text) for each description: C273 7008, split at 35 characters into
       its two components as EANCOM asks (longer text is cut at 70 and a warning said). -->
  <xsl:template name="imd">
    <xsl:for-each select="c:description">
      <xsl:if test="string-length(.) &gt; 70">
        <xsl:message>line <xsl:value-of select="../c:number"/>: the description is longer than 70 characters; IMD carries the first 70</xsl:message>
      </xsl:if>
      <IMD>
        <D7077>F</D7077>
        <xsl:choose>
          <xsl:when test="$d01b"><C272/></xsl:when>
          <xsl:otherwise><D7081/></xsl:otherwise>
        </xsl:choose>
        <C273>
          <D7009/><D1131/><D3055/>
          <D7008><xsl:value-of select="substring(., 1, 35)"/></D7008>
          <xsl:if test="string-length(.) &gt; 35"><D7008><xsl:value-of select="substring(., 36, 35)"/></D7008></xsl:if>
        </C273>
      </IMD>
    </xsl:for-each>
  </xsl:template>

  <!-- MOA with qualifier $qualifier and the amount $amount, when there is one. -->
  <xsl:template name="moa">
    <xsl:param name="qualifier"/>
    <xsl:param name="amount"/>
    <xsl:if test="string($amount)">
      <MOA><C516><D5025><xsl:value-of select="$qualifier"/></D5025><D5004><xsl:value-of select="$amount"/></D5004></C516></MOA>
    </xsl:if>
  </xsl:template>

  <!-- TAX 7 (tax) for the current tax element: type (default VAT), rate in C243 5278,
       category 5305. -->
  <xsl:template name="tax">
    <TAX>
      <D5283>7</D5283>
      <C241>
        <D5153>
          <xsl:choose>
            <xsl:when test="string(@type)"><xsl:value-of select="@type"/></xsl:when>
            <xsl:otherwise>VAT</xsl:otherwise>
          </xsl:choose>
        </D5153>
      </C241>
      <C533/>
      <D5286/>
      <C243>
        <xsl:if test="c:ratePercent">
          <D5279/><D1131/><D3055/><D5278><xsl:value-of select="c:ratePercent"/></D5278>
        </xsl:if>
      </C243>
      <D5305><xsl:value-of select="c:category"/></D5305>
    </TAX>
  </xsl:template>

  <!-- UNS S and CNT 2: the line count as sent or computed in C, else the number of lines
       (a count, not an amount). -->
  <xsl:template name="uns">
    <UNS><D0081>S</D0081></UNS>
  </xsl:template>

  <xsl:template name="cnt">
    <CNT>
      <C270>
        <D6069>2</D6069>
        <D6066>
          <xsl:choose>
            <xsl:when test="c:totals/c:lineCount"><xsl:value-of select="c:totals/c:lineCount"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="count(c:line)"/></xsl:otherwise>
          </xsl:choose>
        </D6066>
      </C270>
    </CNT>
  </xsl:template>
</xsl:stylesheet>
