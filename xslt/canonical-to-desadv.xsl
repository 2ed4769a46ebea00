<?xml version="1.0" encoding="UTF-8"?>
<!--
  canonical despatchAdvice -> EDIFACT-XML of one interchange holding one DESADV message,
  D.96A or D.01B, EANCOM (EAN005 / EAN007 by default) or plain UN (docs/canonical.md
  "canonical -> EDIFACT ORDRSP, DESADV, INVOIC, ORDERS"). Named and grouped as `gateway edi
  to-xml` reads such a message; edi_xml_write serializes it and computes UNT/UNZ counts.
  Values are moved as strings: nothing is computed here. Parameters: see
  edifact-out-common.xsl.

  Packing (CPS): hierarchy 1 is the whole consignment; each canonical package gets the
  number of its position among the packages plus 1, its parent the parent package's number
  (1 when it has none). A package's lines (line/packageRef) follow its PAC/PCI/GIN in the
  same CPS group; lines without a package stand under CPS 1.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:edi-gateway:canonical:1"
                xmlns="urn:edi-gateway:edifact-xml:1"
                exclude-result-prefixes="c">
  <xsl:include href="edifact-out-common.xsl"/>
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>

  <xsl:variable name="message-type" select="'DESADV'"/>
  <xsl:variable name="root-name" select="'despatchAdvice'"/>
  <xsl:variable name="ean97-association" select="'EAN005'"/>
  <xsl:variable name="ean02-association" select="'EAN007'"/>
  <xsl:variable name="sender-role" select="'supplier'"/>
  <xsl:variable name="recipient-role" select="'buyer'"/>

  <!-- Groups: SG1 RFF, SG2 NAD (SG3 RFF), SG10 CPS (SG11 PAC, SG13 PCI, GIN in SG14 /
       D.01B SG15, LIN in SG15 / D.01B SG17, its RFF in SG16 / D.01B SG18). -->
  <xsl:variable name="g-gin">
    <xsl:choose><xsl:when test="$d01b">SG15</xsl:when><xsl:otherwise>SG14</xsl:otherwise></xsl:choose>
  </xsl:variable>
  <xsl:variable name="g-lin">
    <xsl:choose><xsl:when test="$d01b">SG17</xsl:when><xsl:otherwise>SG15</xsl:otherwise></xsl:choose>
  </xsl:variable>
  <xsl:variable name="g-lin-rff">
    <xsl:choose><xsl:when test="$d01b">SG18</xsl:when><xsl:otherwise>SG16</xsl:otherwise></xsl:choose>
  </xsl:variable>

  <xsl:template match="c:despatchAdvice" mode="body">
    <xsl:call-template name="bgm">
      <xsl:with-param name="code" select="'351'"/>
      <xsl:with-param name="number" select="c:number"/>
      <xsl:with-param name="function" select="'9'"/>
    </xsl:call-template>
    <xsl:for-each select="c:date">
      <xsl:variable name="qualifier">
        <xsl:choose>
          <xsl:when test="@role = 'document'">137</xsl:when>
          <xsl:when test="@role = 'despatch'">11</xsl:when>
          <xsl:when test="@role = 'delivery'">17</xsl:when>
          <xsl:when test="@role = 'delivery_requested'">2</xsl:when>
        </xsl:choose>
      </xsl:variable>
      <xsl:if test="string($qualifier)">
        <xsl:call-template name="dtm"><xsl:with-param name="qualifier" select="$qualifier"/></xsl:call-template>
      </xsl:if>
    </xsl:for-each>
    <xsl:for-each select="c:reference">
      <xsl:call-template name="rff-group"><xsl:with-param name="group" select="'SG1'"/></xsl:call-template>
    </xsl:for-each>
    <xsl:call-template name="parties">
      <xsl:with-param name="roles" select="'buyer supplier delivery ship_from'"/>
      <xsl:with-param name="group" select="'SG2'"/>
      <xsl:with-param name="rff-group" select="'SG3'"/>
      <!-- Neither EANCOM DESADV has RFF FC. -->
      <xsl:with-param name="tax-number" select="not($ean)"/>
    </xsl:call-template>
    <xsl:for-each select="c:line[c:packageRef and not(c:packageRef = ../c:package/@id)][1]">
      <xsl:message terminate="yes">line <xsl:value-of select="c:number"/>: its package <xsl:value-of select="c:packageRef"/> is not a package of the document</xsl:message>
    </xsl:for-each>
    <SG10>
      <CPS><D7164>1</D7164></CPS>
      <xsl:apply-templates select="c:line[not(c:packageRef)]"/>
    </SG10>
    <xsl:apply-templates select="c:package"/>
    <xsl:call-template name="cnt"/>
  </xsl:template>

  <!-- The hierarchical number of the package whose @id is $id. -->
  <xsl:template name="package-number">
    <xsl:param name="id"/>
    <xsl:for-each select="$doc/c:package[@id = $id][1]">
      <xsl:value-of select="count(preceding-sibling::c:package) + 2"/>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="c:package">
    <xsl:variable name="id" select="@id"/>
    <xsl:variable name="parent">
      <xsl:choose>
        <xsl:when test="string(@parent) and ../c:package[@id = current()/@parent]">
          <xsl:call-template name="package-number"><xsl:with-param name="id" select="@parent"/></xsl:call-template>
        </xsl:when>
        <xsl:when test="string(@parent)">
          <xsl:message terminate="yes">package <xsl:value-of select="@id"/>: its parent <xsl:value-of select="@parent"/> is not a package of the document</xsl:message>
        </xsl:when>
        <xsl:otherwise>1</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <SG10>
      <CPS>
        <D7164><xsl:value-of select="count(preceding-sibling::c:package) + 2"/></D7164>
        <D7166><xsl:value-of select="$parent"/></D7166>
      </CPS>
      <SG11>
        <PAC>
          <D7224>
            <xsl:choose>
              <xsl:when test="c:count"><xsl:value-of select="c:count"/></xsl:when>
              <xsl:otherwise>1</xsl:otherwise>
            </xsl:choose>
          </D7224>
          <C531/>
          <C202><xsl:if test="c:type"><D7065><xsl:value-of select="c:type"/></D7065></xsl:if></C202>
        </PAC>
        <xsl:for-each select="c:grossWeight">
          <MEA>
            <D6311>PD</D6311>
            <C502><D6313>AAB</D6313></C502>
            <C174>
              <D6411>
                <xsl:call-template name="unit">
                  <xsl:with-param name="as-sent" select="@unitAsSent"/>
                  <xsl:with-param name="rec20" select="@unit"/>
                </xsl:call-template>
              </D6411>
              <D6314><xsl:value-of select="."/></D6314>
            </C174>
          </MEA>
        </xsl:for-each>
        <!-- PCI: marked with the SSCC, EANCOM 33E, UN 30; the SSCC itself in GIN BJ. -->
        <xsl:for-each select="c:sscc">
          <SG13>
            <PCI>
              <D4233>
                <xsl:choose>
                  <xsl:when test="$ean">33E</xsl:when>
                  <xsl:otherwise>30</xsl:otherwise>
                </xsl:choose>
              </D4233>
            </PCI>
            <xsl:element name="{$g-gin}" namespace="{$ns}">
              <GIN><D7405>BJ</D7405><C208><D7402><xsl:value-of select="."/></D7402></C208></GIN>
            </xsl:element>
          </SG13>
        </xsl:for-each>
      </SG11>
      <xsl:apply-templates select="../c:line[c:packageRef = $id]"/>
    </SG10>
  </xsl:template>

  <!-- LIN, PIA, IMD, QTY 12 despatched (21 ordered when known), the order and its line as
       RFF ON with 1156. -->
  <xsl:template match="c:line">
    <xsl:element name="{$g-lin}" namespace="{$ns}">
      <xsl:call-template name="lin"/>
      <xsl:call-template name="pia"/>
      <xsl:call-template name="imd"/>
      <xsl:for-each select="c:quantity">
        <xsl:call-template name="qty"><xsl:with-param name="qualifier" select="'12'"/></xsl:call-template>
      </xsl:for-each>
      <xsl:for-each select="c:orderedQuantity">
        <xsl:call-template name="qty"><xsl:with-param name="qualifier" select="'21'"/></xsl:call-template>
      </xsl:for-each>
      <xsl:for-each select="c:reference">
        <xsl:call-template name="rff-group">
          <xsl:with-param name="group" select="$g-lin-rff"/>
        </xsl:call-template>
      </xsl:for-each>
    </xsl:element>
  </xsl:template>
</xsl:stylesheet>
