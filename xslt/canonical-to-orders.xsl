<?xml version="1.0" encoding="UTF-8"?>
<!--
  canonical order -> EDIFACT-XML of one interchange holding one ORDERS message, D.96A or
  D.01B, EANCOM (EAN008 / EAN010 by default) or plain UN, for forwarding an order to a
  supplier (docs/canonical.md "canonical -> EDIFACT ORDRSP, DESADV, INVOIC, ORDERS"). Named
  and grouped as `gateway edi to-xml` reads such a message; edi_xml_write serializes it and
  computes UNT/UNZ counts. Values are moved as strings: nothing is computed here.
  Parameters: see edifact-out-common.xsl; the envelope goes from the buyer to the supplier.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:edi-gateway:canonical:1"
                xmlns="urn:edi-gateway:edifact-xml:1"
                exclude-result-prefixes="c">
  <xsl:include href="edifact-out-common.xsl"/>
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>

  <xsl:variable name="message-type" select="'ORDERS'"/>
  <xsl:variable name="root-name" select="'order'"/>
  <xsl:variable name="ean97-association" select="'EAN008'"/>
  <xsl:variable name="ean02-association" select="'EAN010'"/>
  <xsl:variable name="sender-role" select="'buyer'"/>
  <xsl:variable name="recipient-role" select="'supplier'"/>

  <!-- Groups: SG1 RFF, SG2 NAD (SG3 RFF), SG7 CUX; LIN SG25 / D.01B SG28 with PRI in SG28 /
       SG32 and RFF in SG29 / SG33. -->
  <xsl:variable name="g-lin">
    <xsl:choose><xsl:when test="$d01b">SG28</xsl:when><xsl:otherwise>SG25</xsl:otherwise></xsl:choose>
  </xsl:variable>
  <xsl:variable name="g-pri">
    <xsl:choose><xsl:when test="$d01b">SG32</xsl:when><xsl:otherwise>SG28</xsl:otherwise></xsl:choose>
  </xsl:variable>
  <xsl:variable name="g-rff">
    <xsl:choose><xsl:when test="$d01b">SG33</xsl:when><xsl:otherwise>SG29</xsl:otherwise></xsl:choose>
  </xsl:variable>

  <xsl:template match="c:order" mode="body">
    <xsl:call-template name="bgm">
      <xsl:with-param name="code">
        <xsl:choose>
          <xsl:when test="string(c:type/@code)"><xsl:value-of select="c:type/@code"/></xsl:when>
          <xsl:when test="c:type = 'blanket'">221</xsl:when>
          <xsl:when test="c:type = 'express'">224</xsl:when>
          <xsl:when test="c:type = 'release'">226</xsl:when>
          <xsl:when test="c:type = 'consignment'">227</xsl:when>
          <xsl:otherwise>220</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
      <xsl:with-param name="number" select="c:number"/>
      <xsl:with-param name="function" select="'9'"/>
    </xsl:call-template>
    <xsl:for-each select="c:date">
      <xsl:variable name="qualifier">
        <xsl:choose>
          <xsl:when test="@role = 'document'">137</xsl:when>
          <xsl:otherwise>
            <xsl:call-template name="date-qualifier"><xsl:with-param name="role" select="@role"/></xsl:call-template>
          </xsl:otherwise>
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
      <xsl:with-param name="roles" select="'buyer supplier delivery invoicee final_delivery'"/>
      <xsl:with-param name="group" select="'SG2'"/>
      <xsl:with-param name="rff-group" select="'SG3'"/>
    </xsl:call-template>
    <xsl:call-template name="cux">
      <xsl:with-param name="group" select="'SG7'"/>
      <xsl:with-param name="type" select="'9'"/>
    </xsl:call-template>
    <xsl:apply-templates select="c:line"/>
    <xsl:call-template name="uns"/>
    <xsl:call-template name="moa">
      <xsl:with-param name="qualifier" select="'79'"/>
      <xsl:with-param name="amount" select="c:totals/c:lineAmountTotal"/>
    </xsl:call-template>
    <xsl:call-template name="cnt"/>
  </xsl:template>

  <!-- LIN, PIA, IMD, QTY 21, delivery dates, MOA 203, PRI AAA (and AAB outside EANCOM 97),
       RFF. -->
  <xsl:template match="c:line">
    <xsl:element name="{$g-lin}" namespace="{$ns}">
      <xsl:call-template name="lin"/>
      <xsl:call-template name="pia"/>
      <xsl:call-template name="imd"/>
      <xsl:for-each select="c:quantity">
        <xsl:call-template name="qty"><xsl:with-param name="qualifier" select="'21'"/></xsl:call-template>
      </xsl:for-each>
      <xsl:for-each select="c:date">
        <xsl:variable name="qualifier">
          <xsl:call-template name="date-qualifier"><xsl:with-param name="role" select="@role"/></xsl:call-template>
        </xsl:variable>
        <xsl:if test="string($qualifier)">
          <xsl:call-template name="dtm"><xsl:with-param name="qualifier" select="$qualifier"/></xsl:call-template>
        </xsl:if>
      </xsl:for-each>
      <xsl:call-template name="moa">
        <xsl:with-param name="qualifier" select="'203'"/>
        <xsl:with-param name="amount" select="c:lineAmount"/>
      </xsl:call-template>
      <xsl:for-each select="c:netPrice">
        <xsl:element name="{$g-pri}" namespace="{$ns}"><xsl:call-template name="pri"><xsl:with-param name="qualifier" select="'AAA'"/></xsl:call-template></xsl:element>
      </xsl:for-each>
      <xsl:for-each select="c:grossPrice">
        <xsl:element name="{$g-pri}" namespace="{$ns}"><xsl:call-template name="pri"><xsl:with-param name="qualifier" select="'AAB'"/></xsl:call-template></xsl:element>
      </xsl:for-each>
      <xsl:for-each select="c:reference">
        <xsl:call-template name="rff-group"><xsl:with-param name="group" select="$g-rff"/></xsl:call-template>
      </xsl:for-each>
    </xsl:element>
  </xsl:template>
</xsl:stylesheet>
